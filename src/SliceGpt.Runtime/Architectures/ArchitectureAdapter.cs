using System.Numerics;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

/// <summary>
/// What SliceGpt knows about one model family: how its <c>config.json</c> reads, where its norms,
/// attention and MLP inputs and outputs, embeddings and head are stored, and how they map onto the
/// uniform <see cref="TransformerModel{T}"/>. One subclass per family.
/// </summary>
public abstract class ArchitectureAdapter
{
    /// <summary>The family this adapter implements.</summary>
    public abstract ArchitectureFamily Family { get; }

    /// <summary>The <c>architectures</c> entries this adapter accepts.</summary>
    public abstract IReadOnlyList<string> ArchitectureNames { get; }

    /// <summary>The <c>model_type</c> values this adapter accepts.</summary>
    public abstract IReadOnlyList<string> ModelTypes { get; }

    /// <summary>Norm kind of the original checkpoint (LayerNorm models are converted during fusion).</summary>
    public abstract NormKind NormKind { get; }

    /// <summary>Whether attention and MLP read the same norm output (parallel) or run one after the other.</summary>
    public abstract BlockKind BlockKind { get; }

    /// <summary>Reads and validates the family's config fields.</summary>
    public abstract ModelConfig ReadConfig(ConfigJson json);

    /// <summary>The checkpoint names of one layer's tensors, for loading and for writing sliced checkpoints.</summary>
    public abstract LayerTensorNames LayerNames(ITensorSource? source, int layer);

    /// <summary>The checkpoint names of the embedding, positions, final norm and head.</summary>
    public abstract ModelTensorNames ModelNames(ITensorSource? source);

    /// <summary>
    /// Loads a checkpoint into the uniform form, checking every tensor's shape. A sliced checkpoint
    /// (<see cref="ModelConfig.Slicing"/> set) has per-layer widths, weightless RMSNorms and shortcut matrices.
    /// </summary>
    public TransformerModel<T> Load<T>(ITensorSource source, ModelConfig config)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var reader = new WeightReader<T>(source);
        var names = ModelNames(source);
        var widths = config.Slicing?.Widths;
        int dEmbed = widths?[0].In ?? config.Dim;
        var embedding = reader.Matrix(names.Embedding, config.VocabSize, dEmbed);
        var positions = names.Positions is null || config.LearnedPositionOffset is not int offset
            ? null
            : reader.Matrix(names.Positions, config.MaxSeqLen + offset, dEmbed);
        var layers = new TransformerLayer<T>[config.NLayers];
        for (int i = 0; i < layers.Length; i++)
            layers[i] = LoadLayer(reader, config, LayerNames(source, i), widths?[i]);
        int dHead = widths?[^1].Out ?? config.Dim;
        var finalNorm = ReadNorm(reader, config, names.FinalNormWeight, names.FinalNormBias);
        Linear<T> head;
        if (config.Slicing is null && (config.TiedEmbeddings || names.HeadWeight is null || !reader.Has(names.HeadWeight)))
        {
            if (!config.TiedEmbeddings)
                throw new CheckpointFormatException(source.Location, names.HeadWeight ?? "lm_head.weight", null,
                    $"a [{config.VocabSize}, {config.Dim}] head (tie_word_embeddings is false)", "no such tensor");
            head = new Linear<T>(embedding, null);
        }
        else
        {
            head = new Linear<T>(reader.Matrix(names.HeadWeight ?? "lm_head.weight", config.VocabSize, dHead),
                names.HeadBias is null ? null : reader.OptionalVector(names.HeadBias, config.VocabSize));
        }
        return new TransformerModel<T>
        {
            Config = config,
            Embedding = embedding,
            Positions = positions,
            Layers = layers,
            FinalNorm = finalNorm,
            Head = head,
        };
    }

    private TransformerLayer<T> LoadLayer<T>(WeightReader<T> reader, ModelConfig c, LayerTensorNames n, Slicing.LayerWidths? widths)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool parallel = c.Block == BlockKind.Parallel;
        int dIn = widths?.In ?? c.Dim, dMid = widths?.Mid ?? c.Dim, dOut = widths?.Out ?? c.Dim;
        int mlpIn = parallel ? dIn : dMid, attentionOut = parallel ? dOut : dMid;
        Matrix<T> qkv;
        T[]? qkvBias;
        if (n.FusedQkv is not null)
        {
            qkv = reader.Matrix(n.FusedQkv, c.QDim + 2 * c.KvDim, dIn);
            qkvBias = n.FusedQkvBias is null ? null : reader.OptionalVector(n.FusedQkvBias, c.QDim + 2 * c.KvDim);
        }
        else
        {
            qkv = reader.StackRows(dIn, (n.Q!, c.QDim), (n.K!, c.KvDim), (n.V!, c.KvDim));
            qkvBias = reader.StackBiases((n.QBias!, c.QDim), (n.KBias!, c.KvDim), (n.VBias!, c.KvDim));
        }
        Matrix<T> up;
        T[]? upBias;
        if (c.Activation == MlpActivation.SiluGated && n.FusedGateUp is not null)
        {
            up = reader.Matrix(n.FusedGateUp, 2 * c.HiddenDim, mlpIn);
            upBias = reader.OptionalVector(n.UpBias, 2 * c.HiddenDim);
        }
        else if (c.Activation == MlpActivation.SiluGated)
        {
            up = reader.StackRows(mlpIn, (n.Gate!, c.HiddenDim), (n.Up, c.HiddenDim));
            upBias = reader.StackBiases((n.GateBias!, c.HiddenDim), (n.UpBias, c.HiddenDim));
        }
        else
        {
            up = reader.Matrix(n.Up, c.HiddenDim, mlpIn);
            upBias = reader.OptionalVector(n.UpBias, c.HiddenDim);
        }
        bool sliced = widths is not null;
        return new TransformerLayer<T>
        {
            AttentionNorm = ReadNorm(reader, c, n.AttentionNormWeight, n.AttentionNormBias),
            Qkv = new Linear<T>(qkv, qkvBias),
            AttentionOut = new Linear<T>(reader.Matrix(n.AttentionOut, attentionOut, c.QDim), reader.OptionalVector(n.AttentionOutBias, attentionOut)),
            MlpNorm = parallel ? null : ReadNorm(reader, c, n.MlpNormWeight!, n.MlpNormBias),
            Up = new Linear<T>(up, upBias),
            Down = new Linear<T>(reader.Matrix(n.Down, dOut, c.HiddenDim), reader.OptionalVector(n.DownBias, dOut)),
            AttentionShortcut = sliced ? reader.Matrix(n.AttentionShortcut, dIn, parallel ? dOut : dMid) : null,
            MlpShortcut = sliced && !parallel ? reader.Matrix(n.MlpShortcut, dMid, dOut) : null,
        };
    }

    // A sliced checkpoint's norms are weightless RMSNorms over the original width; nothing is stored for them.
    private static Norm<T> ReadNorm<T>(WeightReader<T> reader, ModelConfig c, string weight, string? bias)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (c.Slicing is not null)
            return new Norm<T>(NormKind.RmsNorm, null, null, c.NormEps, c.Dim);
        var gamma = reader.Vector(weight, c.Dim);
        var beta = c.Norm == NormKind.LayerNorm && bias is not null ? reader.Vector(bias, c.Dim) : null;
        return new Norm<T>(c.Norm, gamma, beta, c.NormEps, c.Dim);
    }

    /// <summary>
    /// The model's tensors under this family's checkpoint names, the inverse of <see cref="Load{T}"/>: fused
    /// projections are split where the family stores them separately, weightless norms and a tied head are omitted,
    /// and interleaved (llama2.c) q/k rows are permuted to Hugging Face's rotate-half order.
    /// </summary>
    public IEnumerable<(string Name, long[] Shape, T[] Data)> Export<T>(TransformerModel<T> model)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var c = model.Config;
        var names = ModelNames(null);
        yield return (names.Embedding, Shape(model.Embedding), model.Embedding.Data);
        if (model.Positions is not null)
            yield return (names.Positions!, Shape(model.Positions), model.Positions.Data);
        for (int i = 0; i < model.Layers.Length; i++)
        {
            foreach (var tensor in ExportLayer(model.Layers[i], c, LayerNames(null, i)))
                yield return tensor;
        }
        foreach (var tensor in ExportNorm(model.FinalNorm, names.FinalNormWeight, names.FinalNormBias))
            yield return tensor;
        if (!model.HeadTiedToEmbedding)
        {
            yield return (names.HeadWeight ?? "lm_head.weight", Shape(model.Head.Weight), model.Head.Weight.Data);
            if (model.Head.Bias is not null)
                yield return (names.HeadBias ?? "lm_head.bias", [model.Head.Bias.Length], model.Head.Bias);
        }
    }

    private static IEnumerable<(string, long[], T[])> ExportLayer<T>(TransformerLayer<T> layer, ModelConfig c, LayerTensorNames n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        foreach (var t in ExportNorm(layer.AttentionNorm, n.AttentionNormWeight, n.AttentionNormBias))
            yield return t;
        var qkv = c.Rope == RopeLayout.Interleaved ? RopeRows.InterleavedToRotateHalf(layer.Qkv, c) : layer.Qkv;
        if (n.FusedQkv is not null)
            foreach (var t in Split(qkv, (n.FusedQkv, n.FusedQkvBias, c.QDim + 2 * c.KvDim)))
                yield return t;
        else
            foreach (var t in Split(qkv, (n.Q!, n.QBias, c.QDim), (n.K!, n.KBias, c.KvDim), (n.V!, n.VBias, c.KvDim)))
                yield return t;
        foreach (var t in Split(layer.AttentionOut, (n.AttentionOut, n.AttentionOutBias, layer.AttentionOut.OutFeatures)))
            yield return t;
        if (layer.MlpNorm is not null)
            foreach (var t in ExportNorm(layer.MlpNorm, n.MlpNormWeight!, n.MlpNormBias))
                yield return t;
        var upParts = c.Activation != MlpActivation.SiluGated ? [(n.Up, (string?)n.UpBias, c.HiddenDim)]
            : n.FusedGateUp is not null ? [(n.FusedGateUp, n.UpBias, 2 * c.HiddenDim)]
            : new[] { (n.Gate!, n.GateBias, c.HiddenDim), (n.Up, (string?)n.UpBias, c.HiddenDim) };
        foreach (var t in Split(layer.Up, upParts))
            yield return t;
        foreach (var t in Split(layer.Down, (n.Down, n.DownBias, layer.Down.OutFeatures)))
            yield return t;
        if (layer.AttentionShortcut is { } s1)
            yield return (n.AttentionShortcut, Shape(s1), s1.Data);
        if (layer.MlpShortcut is { } s2)
            yield return (n.MlpShortcut, Shape(s2), s2.Data);
    }

    // Row blocks of a fused linear under their own names; a bias block only where the linear has a bias.
    private static IEnumerable<(string, long[], T[])> Split<T>(Linear<T> linear, params (string Weight, string? Bias, int Rows)[] parts)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int row = 0, cols = linear.InFeatures;
        foreach (var (weight, bias, rows) in parts)
        {
            yield return (weight, [rows, cols], linear.Weight.Data.AsSpan(row * cols, rows * cols).ToArray());
            if (linear.Bias is not null)
                yield return (bias ?? throw new InvalidOperationException($"{weight} has a bias but the family names none"), [rows], linear.Bias.AsSpan(row, rows).ToArray());
            row += rows;
        }
    }

    private static IEnumerable<(string, long[], T[])> ExportNorm<T>(Norm<T> norm, string weight, string? bias)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (norm.Weight is not null)
            yield return (weight, [norm.Weight.Length], norm.Weight);
        if (norm.Bias is not null)
            yield return (bias ?? throw new InvalidOperationException($"{weight} has a shift but the family names none"), [norm.Bias.Length], norm.Bias);
    }

    private static long[] Shape<T>(Matrix<T> m) where T : unmanaged, IBinaryFloatingPointIeee754<T> => [m.Rows, m.Cols];

    /// <summary>Reads the eos id, which some configs give as a list.</summary>
    protected static int? EosId(ConfigJson json)
    {
        var v = json.Get("eos_token_id");
        if (v is null)
            return null;
        if (v.Value.ValueKind == System.Text.Json.JsonValueKind.Array)
            return v.Value.GetArrayLength() > 0 ? v.Value[0].GetInt32() : null;
        return json.Int("eos_token_id", null);
    }
}
