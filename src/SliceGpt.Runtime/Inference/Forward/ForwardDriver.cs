using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Forward;

/// <summary>
/// The forward pass of every family, dense or sliced, written once: which operation runs on which buffers, in which
/// order, and the residual algebra of SliceGPT's blocks (SLICEGPT.md §2). Each device executes it through its
/// <see cref="IForwardOps{TLayer}"/>, so the CPU and the GPU differ only numerically, never semantically.
/// The two residual buffers alternate: a call takes the one holding the stream and returns the one holding it after.
/// </summary>
/// <typeparam name="TLayer">The device's form of a block's weights.</typeparam>
internal sealed class ForwardDriver<TLayer>(ModelConfig config, IForwardOps<TLayer> ops) where TLayer : IBlockShape
{
    /// <summary>Embeds the staged tokens, runs every block, and leaves the final norm's output in <see cref="Activation.Normed"/>.</summary>
    /// <param name="layers">The blocks; block l caches its keys and values in KV layer l.</param>
    /// <param name="batch">The pass's rows.</param>
    /// <param name="headWidth">The residual width the final norm reads (the last block's DOut).</param>
    /// <param name="oneCacheLayer">Every block uses KV layer 0 (a pass from position 0 whose cache is not kept).</param>
    public void Forward(IReadOnlyList<TLayer> layers, BatchLayout batch, int headWidth, bool oneCacheLayer = false)
    {
        int n = batch.Tokens;
        var x = Activation.ResidualA;
        ops.Embed(x, n);
        for (int l = 0; l < layers.Count; l++)
            x = Block(layers[l], oneCacheLayer ? 0 : l, batch, x);
        ops.FinalNorm(x, Activation.Normed, n, headWidth);
    }

    /// <summary>One block on the residual in <paramref name="x"/>; returns the buffer holding its output.</summary>
    public Activation Block(TLayer layer, int cacheLayer, BatchLayout batch, Activation x)
    {
        if (config.Block == BlockKind.Parallel)
            return ParallelBlock(layer, cacheLayer, batch, x);
        var mid = AttentionHalf(layer, cacheLayer, batch, x);
        return MlpHalf(layer, batch.Tokens, mid);
    }

    /// <summary>Sequential block, first half: mid = x·S_attn + Attn(N(x)). Returns the buffer holding mid.</summary>
    public Activation AttentionHalf(TLayer layer, int cacheLayer, BatchLayout batch, Activation x)
    {
        int n = batch.Tokens;
        AttentionBranch(layer, cacheLayer, batch, x);
        var mid = Residual(layer, layer.HasAttentionShortcut, ShortcutSite.Attention, x, n);
        ops.Linear(layer, LinearSite.AttentionOut, Activation.Attention, mid, n, accumulate: true);
        return mid;
    }

    /// <summary>Sequential block, second half: y = h·S_mlp + MLP(N(h)) for the mid residual h. Returns the buffer holding y.</summary>
    public Activation MlpHalf(TLayer layer, int rows, Activation h)
    {
        ops.Norm(layer, NormSite.Mlp, h, Activation.Normed, rows, layer.DMid);
        var activation = Mlp(layer, rows);
        var y = Residual(layer, layer.HasMlpShortcut, ShortcutSite.Mlp, h, rows);
        ops.Linear(layer, LinearSite.Down, activation, y, rows, accumulate: true);
        return y;
    }

    /// <summary>Parallel block: y = x·S + Attn(N(x)) + MLP(N(x)), both branches reading the one norm's output. Returns the buffer holding y.</summary>
    public Activation ParallelBlock(TLayer layer, int cacheLayer, BatchLayout batch, Activation x)
    {
        int n = batch.Tokens;
        AttentionBranch(layer, cacheLayer, batch, x);
        var activation = Mlp(layer, n);
        var y = Residual(layer, layer.HasAttentionShortcut, ShortcutSite.Attention, x, n);
        ops.Linear(layer, LinearSite.AttentionOut, Activation.Attention, y, n, accumulate: true);
        ops.Linear(layer, LinearSite.Down, activation, y, n, accumulate: true);
        return y;
    }

    // Where a branch's output accumulates: into x itself when the residual map is the identity (x is no longer read once
    // the norm has consumed it, so no copy is needed), else into the other buffer after y = x·S.
    private Activation Residual(TLayer layer, bool hasShortcut, ShortcutSite site, Activation x, int rows)
    {
        if (!hasShortcut)
            return x;
        var y = Other(x);
        ops.Shortcut(layer, site, x, y, rows);
        return y;
    }

    // Attn(N(x)) into Activation.Attention; N(x) stays in Activation.Normed (a parallel block's MLP reads it too).
    private void AttentionBranch(TLayer layer, int cacheLayer, BatchLayout batch, Activation x)
    {
        int n = batch.Tokens;
        ops.Norm(layer, NormSite.Attention, x, Activation.Normed, n, layer.DIn);
        ops.Linear(layer, LinearSite.Qkv, Activation.Normed, Activation.Qkv, n, accumulate: false);
        ops.Attention(cacheLayer, batch);
    }

    // The MLP's input projection and non-linearity on Activation.Normed; returns the buffer the down projection reads.
    private Activation Mlp(TLayer layer, int rows)
    {
        ops.Linear(layer, LinearSite.Up, Activation.Normed, Activation.Up, rows, accumulate: false);
        return ops.Activate(rows);
    }

    private static Activation Other(Activation residual) =>
        residual == Activation.ResidualA ? Activation.ResidualB : Activation.ResidualA;
}
