namespace SliceGpt.Runtime.Architectures;

/// <summary>
/// Checkpoint names of one layer. Separate q/k/v (or gate/up) names are null when the family stores them
/// fused, and the fused names are null otherwise. Bias names are the names a bias would have; the bias is
/// optional unless the family requires it.
/// </summary>
public sealed record LayerTensorNames
{
    /// <summary>The common prefix of the layer's tensors ("model.layers.3.").</summary>
    public required string Prefix { get; init; }
    /// <summary>A sliced block's attention shortcut matrix (the reference's buffer name).</summary>
    public string AttentionShortcut => Prefix + "attn_shortcut_Q";
    /// <summary>A sliced sequential block's MLP shortcut matrix.</summary>
    public string MlpShortcut => Prefix + "mlp_shortcut_Q";
    /// <summary>Attention (or the parallel block's only) norm scale.</summary>
    public required string AttentionNormWeight { get; init; }
    /// <summary>Its shift (LayerNorm families).</summary>
    public string? AttentionNormBias { get; init; }
    /// <summary>Query projection.</summary>
    public string? Q { get; init; }
    /// <summary>Key projection.</summary>
    public string? K { get; init; }
    /// <summary>Value projection.</summary>
    public string? V { get; init; }
    /// <summary>Query bias.</summary>
    public string? QBias { get; init; }
    /// <summary>Key bias.</summary>
    public string? KBias { get; init; }
    /// <summary>Value bias.</summary>
    public string? VBias { get; init; }
    /// <summary>Fused [q; k; v] projection (Phi-3).</summary>
    public string? FusedQkv { get; init; }
    /// <summary>Fused [q; k; v] bias.</summary>
    public string? FusedQkvBias { get; init; }
    /// <summary>Attention output projection.</summary>
    public required string AttentionOut { get; init; }
    /// <summary>Its bias.</summary>
    public required string AttentionOutBias { get; init; }
    /// <summary>MLP norm scale; null for parallel blocks.</summary>
    public string? MlpNormWeight { get; init; }
    /// <summary>MLP norm shift.</summary>
    public string? MlpNormBias { get; init; }
    /// <summary>Gate projection of a gated MLP.</summary>
    public string? Gate { get; init; }
    /// <summary>Gate bias.</summary>
    public string? GateBias { get; init; }
    /// <summary>Up projection (fc1 for ungated MLPs).</summary>
    public required string Up { get; init; }
    /// <summary>Up bias.</summary>
    public required string UpBias { get; init; }
    /// <summary>Fused [gate; up] projection (Phi-3).</summary>
    public string? FusedGateUp { get; init; }
    /// <summary>Down projection (fc2).</summary>
    public required string Down { get; init; }
    /// <summary>Down bias.</summary>
    public required string DownBias { get; init; }
}

/// <summary>Checkpoint names of the model-level tensors.</summary>
public sealed record ModelTensorNames
{
    /// <summary>Token embedding.</summary>
    public required string Embedding { get; init; }
    /// <summary>Learned position table, if the family has one.</summary>
    public string? Positions { get; init; }
    /// <summary>Final norm scale.</summary>
    public required string FinalNormWeight { get; init; }
    /// <summary>Final norm shift.</summary>
    public string? FinalNormBias { get; init; }
    /// <summary>Head weight (absent from tied checkpoints).</summary>
    public string? HeadWeight { get; init; }
    /// <summary>Head bias.</summary>
    public string? HeadBias { get; init; }
}
