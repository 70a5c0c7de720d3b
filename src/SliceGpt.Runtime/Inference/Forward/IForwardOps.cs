namespace SliceGpt.Runtime.Inference.Forward;

/// <summary>
/// The operations of a forward pass as one device implements them (<c>CpuForwardOps</c>, <c>CudaForwardOps</c>): the
/// <see cref="ForwardDriver{TLayer}"/> says what to compute, in which order and between which activation buffers; the
/// device says how. Rows are the token rows of the current <see cref="BatchLayout"/>, whose tokens and positions the
/// device has staged before the pass. Implementations queue work and may return before it completes (a GPU stream).
/// </summary>
/// <typeparam name="TLayer">The device's form of a block's weights.</typeparam>
internal interface IForwardOps<in TLayer>
{
    /// <summary><paramref name="output"/>[rows, embedding width] ← the embeddings (plus learned positions) of the staged tokens.</summary>
    void Embed(Activation output, int rows);

    /// <summary>y ← the block's norm at <paramref name="site"/> of x, rows of <paramref name="width"/>.</summary>
    void Norm(TLayer layer, NormSite site, Activation x, Activation y, int rows, int width);

    /// <summary>y ← the final norm of x, rows of <paramref name="width"/>.</summary>
    void FinalNorm(Activation x, Activation y, int rows, int width);

    /// <summary>y ← x·Wᵀ + b (y += x·Wᵀ + b when <paramref name="accumulate"/>) for the block's projection at <paramref name="site"/>.</summary>
    void Linear(TLayer layer, LinearSite site, Activation x, Activation y, int rows, bool accumulate);

    /// <summary>y ← x·S for the block's shortcut matrix at <paramref name="site"/> (identity shortcuts never get here: branches accumulate in place).</summary>
    void Shortcut(TLayer layer, ShortcutSite site, Activation x, Activation y, int rows);

    /// <summary>
    /// <see cref="Activation.Attention"/> ← causal attention of the rows in <see cref="Activation.Qkv"/>: RoPE on q and k,
    /// the keys and values appended to KV layer <paramref name="cacheLayer"/> at each chunk's slot and positions, then every
    /// row's query heads over its slot's keys up to its own position.
    /// </summary>
    void Attention(int cacheLayer, BatchLayout batch);

    /// <summary>The MLP non-linearity on <see cref="Activation.Up"/>; returns the buffer the down projection reads.</summary>
    Activation Activate(int rows);
}
