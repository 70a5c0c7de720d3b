using System.Numerics;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

/// <summary>
/// What SliceGpt knows about one model family: how its <c>config.json</c> reads, where its norms,
/// attention and MLP inputs and outputs, embeddings and head are stored, and how they map onto the
/// uniform <see cref="TransformerModel{T}"/>. One subclass per family.
/// </summary>
public abstract partial class ArchitectureAdapter
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
