using System.Numerics;
using SliceGpt.Runtime.Inference.Forward;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cpu;

// Single blocks on caller-provided activations, for the slicing pipeline: it runs its (partially rotated) probe blocks
// over calibration activations, one block at a time, through layer slot 0 of the KV cache. Rows start at position 0.
// The blocks are the forward driver's own halves, so a probe computes exactly what the model computes.
public sealed partial class CpuSession<T>
{
    /// <summary>Embeds <paramref name="batch"/> rows of <paramref name="seqLen"/> tokens (from position 0) into <paramref name="output"/>.</summary>
    internal void EmbedRows(ReadOnlySpan<int> tokens, int batch, int seqLen, Span<T> output)
    {
        ThrowIfDisposed();
        _runner.CheckRows(tokens, batch, seqLen);
        int n = batch * seqLen, width = _model.Embedding.Cols;
        var layout = StartBlock(tokens, batch, seqLen);
        _ops.Embed(Activation.ResidualA, layout.Tokens);
        _ops.Buffer(Activation.ResidualA).AsSpan(0, n * width).CopyTo(output);
    }

    /// <summary>
    /// One sequential block's attention half on rows starting at position 0: mid = x·S_attn + Attn(N(x)).
    /// The slicing pipeline runs it with partially rotated layers to capture the mid-block signal.
    /// </summary>
    internal void AttentionResidual(TransformerLayer<T> layer, ReadOnlySpan<T> x, Span<T> mid, int batch, int seqLen)
    {
        var layout = StartBlock(layer, x, batch, seqLen);
        var result = _runner.Driver.AttentionHalf(layer, 0, layout, Activation.ResidualA);
        _ops.Buffer(result).AsSpan(0, layout.Tokens * layer.DMid).CopyTo(mid);
    }

    /// <summary>One sequential block's MLP half: y = h·S_mlp + MLP(N(h)), for <paramref name="n"/> token rows.</summary>
    internal void MlpResidual(TransformerLayer<T> layer, ReadOnlySpan<T> h, Span<T> y, int n)
    {
        ThrowIfDisposed();
        if (n < 1 || n > MaxBatch * MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(n), n, $"the session holds 1..{MaxBatch * MaxSeqLen} token rows");
        h[..(n * layer.DMid)].CopyTo(_ops.Buffer(Activation.ResidualA));
        var result = _runner.Driver.MlpHalf(layer, n, Activation.ResidualA);
        _ops.Buffer(result).AsSpan(0, n * layer.DOut).CopyTo(y);
    }

    /// <summary>One parallel block on rows starting at position 0: y = x·S + Attn(N(x)) + MLP(N(x)).</summary>
    internal void ParallelBlock(TransformerLayer<T> layer, ReadOnlySpan<T> x, Span<T> y, int batch, int seqLen)
    {
        var layout = StartBlock(layer, x, batch, seqLen);
        var result = _runner.Driver.ParallelBlock(layer, 0, layout, Activation.ResidualA);
        _ops.Buffer(result).AsSpan(0, layout.Tokens * layer.DOut).CopyTo(y);
    }

    // Lays out batch rows of seqLen tokens from position 0 and stages them (no tokens: a block reads activations).
    private BatchLayout StartBlock(ReadOnlySpan<int> tokens, int batch, int seqLen)
    {
        var layout = _runner.LayOutUniform(batch, seqLen);
        _ops.Stage(tokens, layout);
        return layout;
    }

    private BatchLayout StartBlock(TransformerLayer<T> layer, ReadOnlySpan<T> x, int batch, int seqLen)
    {
        ThrowIfDisposed();
        if (batch < 1 || batch > MaxBatch || seqLen < 1 || seqLen > MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(batch), $"{batch}×{seqLen} does not fit the session's {MaxBatch}×{MaxSeqLen}");
        int n = batch * seqLen;
        if (x.Length < n * layer.DIn)
            throw new ArgumentException($"the block reads {n}×{layer.DIn} values, got {x.Length}", nameof(x));
        var layout = StartBlock([], batch, seqLen);
        x[..(n * layer.DIn)].CopyTo(_ops.Buffer(Activation.ResidualA));
        return layout;
    }
}
