namespace SliceGpt.Runtime.Inference.Forward;

/// <summary>
/// The activation buffers of a forward pass, by role. Every device allocates each once per session, sized for the
/// session's largest batch; the forward driver names them and the device resolves the names to its own memory.
/// </summary>
internal enum Activation
{
    /// <summary>(tokens, maxWidth) one of the two residual buffers.</summary>
    ResidualA,
    /// <summary>(tokens, maxWidth) the other residual buffer.</summary>
    ResidualB,
    /// <summary>(tokens, maxWidth) a norm's output, read by the projections after it.</summary>
    Normed,
    /// <summary>(tokens, qDim + 2·kvDim) the fused q, k, v projection.</summary>
    Qkv,
    /// <summary>(tokens, qDim) attention output, before the output projection.</summary>
    Attention,
    /// <summary>(tokens, upDim) the MLP's input projection ([gate; up] for gated MLPs).</summary>
    Up,
    /// <summary>(tokens, hiddenDim) silu(gate)·up of a gated MLP.</summary>
    Gated,
}

/// <summary>The two norms of a block.</summary>
internal enum NormSite
{
    /// <summary>Before attention (a parallel block's only norm).</summary>
    Attention,
    /// <summary>Before the MLP (sequential blocks).</summary>
    Mlp,
}

/// <summary>The four projections of a block.</summary>
internal enum LinearSite
{
    /// <summary>[q; k; v] from the attention norm's output.</summary>
    Qkv,
    /// <summary>The attention output projection.</summary>
    AttentionOut,
    /// <summary>The MLP input projection ([gate; up] for gated MLPs).</summary>
    Up,
    /// <summary>The MLP output projection.</summary>
    Down,
}

/// <summary>The residual maps of a sliced block (identity when the model is dense).</summary>
internal enum ShortcutSite
{
    /// <summary>Sequential: layer input → mid-block basis. Parallel: input → output basis.</summary>
    Attention,
    /// <summary>Sequential only: mid-block → output basis.</summary>
    Mlp,
}
