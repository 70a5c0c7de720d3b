using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Forward;

namespace SliceGpt.Runtime.Inference.Cuda;

// Single blocks on device buffers, the GPU twins of CpuSession's EmbedRows, AttentionResidual, MlpResidual and
// ParallelBlock, run by the same forward driver: the slicing pipeline runs its (partially rotated) probe blocks over
// calibration activations that stay on the GPU. Rows start at position 0 and use KV-cache slot 0 (a session from
// CudaExecutableModel.CreateBlockSession caches one layer). Results are queued on Stream: order later work on it
// (a SYRK of the signals, say) or synchronise it before reading them.
public sealed partial class CudaSession<T>
{
    /// <summary>Embeds <paramref name="batch"/> rows of <paramref name="seqLen"/> tokens into <paramref name="output"/> [tokens, embedding width].</summary>
    internal void EmbedRows(ReadOnlySpan<int> tokens, int batch, int seqLen, DeviceMemory<T> output)
    {
        ThrowIfDisposed();
        _runner.CheckRows(tokens, batch, seqLen);
        int n = batch * seqLen, width = _weights.Embedding.Cols;
        output.EnsureLength((long)n * width, $"output [{n} tokens, {width}]");
        using var scope = _device.Bind();
        StartBlock(tokens, batch, seqLen);
        _ops.Embed(Activation.ResidualA, n);
        CopyOut(Activation.ResidualA, output, (long)n * width);
    }

    /// <summary>One sequential block's attention half: mid [tokens, DMid] = x·S_attn + Attn(N(x)) for x [tokens, DIn].</summary>
    internal void AttentionResidual(CudaLayer<T> layer, DeviceMemory<T> x, DeviceMemory<T> mid, int batch, int seqLen)
    {
        ThrowIfDisposed();
        int n = batch * seqLen;
        mid.EnsureLength((long)n * layer.DMid, $"mid [{n} tokens, {layer.DMid}]");
        using var scope = _device.Bind();
        var layout = StartBlock(layer, x, batch, seqLen);
        var result = _runner.Driver.AttentionHalf(layer, 0, layout, Activation.ResidualA);
        CopyOut(result, mid, (long)n * layer.DMid);
    }

    /// <summary>One sequential block's MLP half: y [n, DOut] = h·S_mlp + MLP(N(h)) for h [n, DMid].</summary>
    internal void MlpResidual(CudaLayer<T> layer, DeviceMemory<T> h, DeviceMemory<T> y, int n)
    {
        ThrowIfDisposed();
        if (n < 1 || n > MaxBatch * MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(n), n, $"the session holds 1..{MaxBatch * MaxSeqLen} token rows");
        if (layer.MlpNorm is null)
            throw new ArgumentException("a parallel block has no MLP half of its own; use ParallelBlock", nameof(layer));
        CheckWidth(layer);
        h.EnsureLength((long)n * layer.DMid, $"h [{n} tokens, {layer.DMid}]");
        y.EnsureLength((long)n * layer.DOut, $"y [{n} tokens, {layer.DOut}]");
        using var scope = _device.Bind();
        _q.Copy(h.Slice(0, (long)n * layer.DMid), _ops.Buffer(Activation.ResidualA).Slice(0, (long)n * layer.DMid));
        var result = _runner.Driver.MlpHalf(layer, n, Activation.ResidualA);
        CopyOut(result, y, (long)n * layer.DOut);
    }

    /// <summary>One parallel block: y [tokens, DOut] = x·S + Attn(N(x)) + MLP(N(x)) for x [tokens, DIn].</summary>
    internal void ParallelBlock(CudaLayer<T> layer, DeviceMemory<T> x, DeviceMemory<T> y, int batch, int seqLen)
    {
        ThrowIfDisposed();
        int n = batch * seqLen;
        y.EnsureLength((long)n * layer.DOut, $"y [{n} tokens, {layer.DOut}]");
        using var scope = _device.Bind();
        var layout = StartBlock(layer, x, batch, seqLen);
        var result = _runner.Driver.ParallelBlock(layer, 0, layout, Activation.ResidualA);
        CopyOut(result, y, (long)n * layer.DOut);
    }

    /// <summary>Waits until everything queued on this session's stream has finished.</summary>
    internal void Synchronize()
    {
        ThrowIfDisposed();
        _q.Synchronize();
    }

    // Lays out batch rows of seqLen tokens from position 0 and stages them (no tokens: a block reads activations).
    private BatchLayout StartBlock(ReadOnlySpan<int> tokens, int batch, int seqLen)
    {
        var layout = _runner.LayOutUniform(batch, seqLen);
        _ops.Stage(tokens, layout);
        return layout;
    }

    private BatchLayout StartBlock(CudaLayer<T> layer, DeviceMemory<T> x, int batch, int seqLen)
    {
        if (batch < 1 || batch > MaxBatch || seqLen < 1 || seqLen > MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(batch), $"{batch}×{seqLen} does not fit the session's {MaxBatch}×{MaxSeqLen}");
        CheckWidth(layer);
        int n = batch * seqLen;
        x.EnsureLength((long)n * layer.DIn, $"x [{n} tokens, {layer.DIn}]");
        var layout = StartBlock([], batch, seqLen);
        _q.Copy(x.Slice(0, (long)n * layer.DIn), _ops.Buffer(Activation.ResidualA).Slice(0, (long)n * layer.DIn));
        return layout;
    }

    private void CheckWidth(CudaLayer<T> layer)
    {
        if (layer.MaxWidth > _maxWidth)
            throw new ArgumentException($"the block is {layer.MaxWidth} wide, the session's buffers {_maxWidth}", nameof(layer));
        if (layer.Qkv.OutFeatures != _qkvDim || layer.Down.InFeatures != _c.HiddenDim)
            throw new ArgumentException("the block's attention or MLP widths are not the model's", nameof(layer));
    }

    private void CopyOut(Activation source, DeviceMemory<T> destination, long count) =>
        _q.Copy(_ops.Buffer(source).Slice(0, count), destination.Slice(0, count));
}
