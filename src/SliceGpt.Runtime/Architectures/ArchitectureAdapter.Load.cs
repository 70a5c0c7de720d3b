using System.Numerics;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

// Reading a checkpoint into the uniform form (the inverse of Export).
public abstract partial class ArchitectureAdapter
{
    /// <summary>
    /// Loads a checkpoint into the uniform form, checking every tensor's shape. A sliced checkpoint
    /// (<see cref="ModelConfig.Slicing"/> set) has per-layer widths, weightless RMSNorms and shortcut matrices.
    /// </summary>
    public TransformerModel<T> Load<T>(ITensorSource source, ModelConfig config)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var shell = LoadShell<T>(source, config);
        var layers = new TransformerLayer<T>[config.NLayers];
        for (int i = 0; i < layers.Length; i++)
            layers[i] = LoadLayer<T>(source, config, i);
        return shell with { Layers = layers };
    }

    /// <summary>
    /// The model without its blocks (<see cref="TransformerModel{T}.Layers"/> empty): embedding, positions, final norm
    /// and head. With <see cref="LoadLayer{T}(ITensorSource, ModelConfig, int)"/> this streams a checkpoint one block
    /// at a time.
    /// </summary>
    public TransformerModel<T> LoadShell<T>(ITensorSource source, ModelConfig config)
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
            Layers = [],
            FinalNorm = finalNorm,
            Head = head,
        };
    }

    /// <summary>Block <paramref name="layer"/> of the checkpoint, every tensor's shape checked.</summary>
    public TransformerLayer<T> LoadLayer<T>(ITensorSource source, ModelConfig config, int layer)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, config.NLayers);
        return LoadLayer(new WeightReader<T>(source), config, LayerNames(source, layer), config.Slicing?.Widths[layer]);
    }

    private TransformerLayer<T> LoadLayer<T>(WeightReader<T> reader, ModelConfig c, LayerTensorNames n, LayerWidths? widths)
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
}
