using System.Numerics;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

/// <summary>
/// What SliceGpt knows about one model family: how its <c>config.json</c> reads, where its norms,
/// attention and MLP inputs and outputs, embeddings and head are stored, and how they map onto the
/// uniform <see cref="TransformerModel{T}"/>. One subclass per family.
/// </summary>
/// <param name="family">The family this adapter implements.</param>
/// <param name="architectureNames">The <c>architectures</c> entries it accepts.</param>
/// <param name="modelTypes">The <c>model_type</c> values it accepts.</param>
/// <param name="normKind">Norm kind of the original checkpoints (LayerNorm models are converted during fusion).</param>
/// <param name="blockKind">Whether attention and MLP read the same norm output (parallel) or run one after the other.</param>
public abstract partial class ArchitectureAdapter(ArchitectureFamily family, string[] architectureNames, string[] modelTypes,
    NormKind normKind, BlockKind blockKind)
{
    /// <summary>The family this adapter implements.</summary>
    public ArchitectureFamily Family => family;

    /// <summary>The <c>architectures</c> entries this adapter accepts.</summary>
    public IReadOnlyList<string> ArchitectureNames => architectureNames;

    /// <summary>The <c>model_type</c> values this adapter accepts.</summary>
    public IReadOnlyList<string> ModelTypes => modelTypes;

    /// <summary>Norm kind of the original checkpoint (LayerNorm models are converted during fusion).</summary>
    public NormKind NormKind => normKind;

    /// <summary>Whether attention and MLP read the same norm output (parallel) or run one after the other.</summary>
    public BlockKind BlockKind => blockKind;

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
        {
            if (v.Value.GetArrayLength() == 0)
                return null;
            return v.Value[0].ValueKind == System.Text.Json.JsonValueKind.Number && v.Value[0].TryGetInt32(out int first)
                ? first
                : throw json.Wrong("eos_token_id", "an integer or a list of integers", v.Value);
        }
        return json.Int("eos_token_id", null);
    }

    /// <summary>
    /// The width of one attention head: <c>head_dim</c> when the family allows it to be given, else hidden_size divided by
    /// the heads, which must then divide it.
    /// </summary>
    protected static int HeadDimOf(ConfigJson json, int dim, int heads, bool explicitAllowed)
    {
        if (explicitAllowed && json.Int("head_dim", null) is int given)
            return given;
        if (heads <= 0 || dim <= 0)
            return 0; // ModelConfig.Validate names the field that is not positive
        if (dim % heads != 0)
            throw json.Unsupported("num_attention_heads", $"a divisor of hidden_size ({dim})", heads.ToString());
        return dim / heads;
    }
}
