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

    /// <summary>Loads a dense checkpoint into the uniform form, checking every tensor's shape.</summary>
    public TransformerModel<T> Load<T>(ITensorSource source, ModelConfig config)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var reader = new WeightReader<T>(source);
        var names = ModelNames(source);
        int d = config.Dim;
        var embedding = reader.Matrix(names.Embedding, config.VocabSize, d);
        var positions = names.Positions is null || config.LearnedPositionOffset is not int offset
            ? null
            : reader.Matrix(names.Positions, config.MaxSeqLen + offset, d);
        var layers = new TransformerLayer<T>[config.NLayers];
        for (int i = 0; i < layers.Length; i++)
            layers[i] = LoadLayer(reader, config, LayerNames(source, i));
        var finalNorm = ReadNorm(reader, config, names.FinalNormWeight, names.FinalNormBias);
        Linear<T> head;
        if (config.TiedEmbeddings || names.HeadWeight is null || !reader.Has(names.HeadWeight))
        {
            if (!config.TiedEmbeddings)
                throw new CheckpointFormatException(source.Location, names.HeadWeight ?? "lm_head.weight", null,
                    $"a [{config.VocabSize}, {d}] head (tie_word_embeddings is false)", "no such tensor");
            head = new Linear<T>(embedding, null);
        }
        else
        {
            head = new Linear<T>(reader.Matrix(names.HeadWeight, config.VocabSize, d),
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

    private TransformerLayer<T> LoadLayer<T>(WeightReader<T> reader, ModelConfig c, LayerTensorNames n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int d = c.Dim;
        Matrix<T> qkv;
        T[]? qkvBias;
        if (n.FusedQkv is not null)
        {
            qkv = reader.Matrix(n.FusedQkv, c.QDim + 2 * c.KvDim, d);
            qkvBias = n.FusedQkvBias is null ? null : reader.OptionalVector(n.FusedQkvBias, c.QDim + 2 * c.KvDim);
        }
        else
        {
            qkv = reader.StackRows(d, (n.Q!, c.QDim), (n.K!, c.KvDim), (n.V!, c.KvDim));
            qkvBias = reader.StackBiases((n.QBias!, c.QDim), (n.KBias!, c.KvDim), (n.VBias!, c.KvDim));
        }
        Matrix<T> up;
        T[]? upBias;
        if (c.Activation == MlpActivation.SiluGated && n.FusedGateUp is not null)
        {
            up = reader.Matrix(n.FusedGateUp, 2 * c.HiddenDim, d);
            upBias = null;
        }
        else if (c.Activation == MlpActivation.SiluGated)
        {
            up = reader.StackRows(d, (n.Gate!, c.HiddenDim), (n.Up, c.HiddenDim));
            upBias = reader.StackBiases((n.GateBias!, c.HiddenDim), (n.UpBias, c.HiddenDim));
        }
        else
        {
            up = reader.Matrix(n.Up, c.HiddenDim, d);
            upBias = reader.OptionalVector(n.UpBias, c.HiddenDim);
        }
        return new TransformerLayer<T>
        {
            AttentionNorm = ReadNorm(reader, c, n.AttentionNormWeight, n.AttentionNormBias),
            Qkv = new Linear<T>(qkv, qkvBias),
            AttentionOut = new Linear<T>(reader.Matrix(n.AttentionOut, d, c.QDim), reader.OptionalVector(n.AttentionOutBias, d)),
            MlpNorm = n.MlpNormWeight is null ? null : ReadNorm(reader, c, n.MlpNormWeight, n.MlpNormBias),
            Up = new Linear<T>(up, upBias),
            Down = new Linear<T>(reader.Matrix(n.Down, d, c.HiddenDim), reader.OptionalVector(n.DownBias, d)),
        };
    }

    private static Norm<T> ReadNorm<T>(WeightReader<T> reader, ModelConfig c, string weight, string? bias)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var gamma = reader.Vector(weight, c.Dim);
        var beta = c.Norm == NormKind.LayerNorm && bias is not null ? reader.Vector(bias, c.Dim) : null;
        return new Norm<T>(c.Norm, gamma, beta, c.NormEps, c.Dim);
    }

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
