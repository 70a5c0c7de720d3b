using SliceGpt.Native.Cuda;

namespace SliceGpt.Runtime.Slicing.Cuda;

/// <summary>
/// One set of calibration activations (calibration rows × tokens per row × width, row-major), addressed by whole
/// calibration rows. <see cref="DeviceActivations{T}"/> keeps them on the GPU; <see cref="HostActivations{T}"/> keeps
/// them in host memory and stages one batch at a time through a device buffer, for calibration sets larger than the
/// GPU's memory. The width may change from stage to stage (never above D).
/// </summary>
internal abstract class ActivationStore<T> : IDisposable where T : unmanaged
{
    protected ActivationStore(int seqLen) => SeqLen = seqLen;

    /// <summary>Tokens per calibration row.</summary>
    protected int SeqLen { get; }

    /// <summary>Device memory holding rows [first, first + count) at <paramref name="width"/>, ready to read once the stream gets there.</summary>
    public abstract DeviceMemory<T> Read(CudaStream stream, int first, int count, int width);

    /// <summary>Device memory to write rows [first, first + count) at <paramref name="width"/> into; then call <see cref="Commit"/>.</summary>
    public abstract DeviceMemory<T> Target(int first, int count, int width);

    /// <summary>Makes what was written to <see cref="Target"/> part of the store (a download for host-backed stores).</summary>
    public abstract void Commit(CudaStream stream, int first, int count, int width);

    /// <inheritdoc/>
    public abstract void Dispose();
}

/// <summary>Activations resident on the GPU: reads and targets are slices of one buffer, commits do nothing.</summary>
internal sealed class DeviceActivations<T>(CudaContext context, int rows, int seqLen, int dim) : ActivationStore<T>(seqLen) where T : unmanaged
{
    private readonly DeviceBuffer<T> _buffer = context.Allocate<T>((long)rows * seqLen * dim); // (rows · seqLen, width ≤ dim)

    public override DeviceMemory<T> Read(CudaStream stream, int first, int count, int width) => Slice(first, count, width);

    public override DeviceMemory<T> Target(int first, int count, int width) => Slice(first, count, width);

    public override void Commit(CudaStream stream, int first, int count, int width)
    {
    }

    private DeviceMemory<T> Slice(int first, int count, int width) =>
        _buffer.Slice((long)first * SeqLen * width, (long)count * SeqLen * width);

    public override void Dispose() => _buffer.Dispose();
}

/// <summary>
/// Activations in host memory, one array per calibration row (so no array exceeds .NET's limit), staged through one
/// device buffer of <paramref name="batchRows"/> rows: a read uploads, a commit downloads (and waits for the stream).
/// </summary>
internal sealed class HostActivations<T>(CudaContext context, int rows, int batchRows, int seqLen, int dim) : ActivationStore<T>(seqLen)
    where T : unmanaged
{
    private readonly T[][] _rows = Enumerable.Range(0, rows).Select(_ => new T[(long)seqLen * dim]).ToArray(); // rows × (seqLen, width)
    private readonly DeviceBuffer<T> _staging = context.Allocate<T>((long)batchRows * seqLen * dim);      // (batchRows · seqLen, width)

    public override DeviceMemory<T> Read(CudaStream stream, int first, int count, int width)
    {
        long rowLength = (long)SeqLen * width;
        for (int r = 0; r < count; r++)
            stream.CopyToDevice<T>(_rows[first + r].AsSpan(0, (int)rowLength), _staging.Slice(r * rowLength, rowLength));
        return _staging.Slice(0, count * rowLength);
    }

    public override DeviceMemory<T> Target(int first, int count, int width) => _staging.Slice(0, (long)count * SeqLen * width);

    public override void Commit(CudaStream stream, int first, int count, int width)
    {
        long rowLength = (long)SeqLen * width;
        for (int r = 0; r < count; r++)
            stream.CopyToHost(_staging.Slice(r * rowLength, rowLength), _rows[first + r].AsSpan(0, (int)rowLength));
        stream.Synchronize();
    }

    public override void Dispose() => _staging.Dispose();
}
