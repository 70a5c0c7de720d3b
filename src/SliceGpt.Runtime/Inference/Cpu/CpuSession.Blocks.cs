using System.Numerics;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cpu;

// Single blocks on caller-provided activations, for the slicing pipeline: it runs its (partially rotated) probe blocks
// over calibration activations, one block at a time, through layer slot 0 of the KV cache. Rows start at position 0.
public sealed partial class CpuSession<T>
{
    /// <summary>Embeds <paramref name="batch"/> rows of <paramref name="seqLen"/> tokens (from position 0) into <paramref name="output"/>.</summary>
    internal void EmbedRows(ReadOnlySpan<int> tokens, int batch, int seqLen, Span<T> output)
    {
        CheckRows(tokens, batch, seqLen);
        SetPositions(batch, seqLen, 0);
        int n = batch * seqLen;
        Embed(tokens, n);
        _x.AsSpan(0, n * _model.Embedding.Cols).CopyTo(output);
    }

    /// <summary>
    /// One sequential block's attention half on rows starting at position 0: mid = x·S_attn + Attn(N(x)).
    /// The slicing pipeline runs it with partially rotated layers to capture the mid-block signal.
    /// </summary>
    internal void AttentionResidual(TransformerLayer<T> layer, ReadOnlySpan<T> x, Span<T> mid, int batch, int seqLen)
    {
        int n = StartBlock(layer, x, batch, seqLen);
        Attention(0, layer, batch, seqLen, 0);
        SequentialAttentionResidual(layer, n);
        _r.AsSpan(0, n * layer.DMid).CopyTo(mid);
    }

    /// <summary>One sequential block's MLP half: y = h·S_mlp + MLP(N(h)), for <paramref name="n"/> token rows.</summary>
    internal void MlpResidual(TransformerLayer<T> layer, ReadOnlySpan<T> h, Span<T> y, int n)
    {
        h[..(n * layer.DMid)].CopyTo(_r);
        CpuOps<T>.Norm(layer.MlpNorm!, _r, _h, n, layer.DMid);
        Mlp(layer, n);
        Shortcut(_r, layer.MlpShortcut, _x, n, layer.DMid);
        CpuOps<T>.Linear(layer.Down, _act, _x, n, accumulate: true);
        _x.AsSpan(0, n * layer.DOut).CopyTo(y);
    }

    /// <summary>One parallel block on rows starting at position 0: y = x·S + Attn(N(x)) + MLP(N(x)).</summary>
    internal void ParallelBlock(TransformerLayer<T> layer, ReadOnlySpan<T> x, Span<T> y, int batch, int seqLen)
    {
        int n = StartBlock(layer, x, batch, seqLen);
        Attention(0, layer, batch, seqLen, 0);
        ParallelResidual(layer, n);
        _x.AsSpan(0, n * layer.DOut).CopyTo(y);
    }

    private int StartBlock(TransformerLayer<T> layer, ReadOnlySpan<T> x, int batch, int seqLen)
    {
        int n = batch * seqLen;
        if (batch < 1 || batch > MaxBatch || seqLen < 1 || seqLen > MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(batch), $"{batch}×{seqLen} does not fit the session's {MaxBatch}×{MaxSeqLen}");
        if (x.Length < n * layer.DIn)
            throw new ArgumentException($"the block reads {n}×{layer.DIn} values, got {x.Length}", nameof(x));
        Position = 0;
        SetPositions(batch, seqLen, 0);
        x[..(n * layer.DIn)].CopyTo(_x);
        CpuOps<T>.Norm(layer.AttentionNorm, _x, _h, n, layer.DIn);
        return n;
    }
}
