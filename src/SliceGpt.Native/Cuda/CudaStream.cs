using System.Runtime.CompilerServices;
using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// A CUDA stream (non-blocking: it does not synchronize with the legacy default stream). Work queued on one
/// stream runs in order; every kernel launch and library call of this engine names its stream explicitly.
/// </summary>
public sealed unsafe class CudaStream : CudaResource
{
    private nint _handle;

    internal CudaStream(CudaContext context) : base(context)
    {
        try
        {
            using var scope = context.Bind();
            CuCheck.ThrowIfFailed(CuDriver.StreamCreate(out _handle, CuDriver.StreamNonBlocking));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The raw CUstream (also a cudaStream_t), valid while this object is alive.</summary>
    public nint Handle
    {
        get
        {
            ThrowIfDisposed();
            return _handle;
        }
    }

    /// <summary>Blocks until all work queued on the stream has finished.</summary>
    public void Synchronize()
    {
        using var scope = Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.StreamSynchronize(Handle));
    }

    /// <summary>
    /// Copies device memory into <paramref name="destination"/> after the stream's earlier work. For ordinary
    /// (pageable) host memory the driver returns only once the copy is complete.
    /// </summary>
    public void CopyToHost<T>(DeviceMemory<T> source, Span<T> destination) where T : unmanaged
    {
        CheckSameLength(source.Length, destination.Length);
        using var scope = Context.Bind();
        fixed (T* p = destination)
            CuCheck.ThrowIfFailed(CuDriver.MemcpyDtoHAsync(p, source.Address, Bytes<T>(source.Length), Handle));
    }

    /// <summary>
    /// Queues a copy of <paramref name="source"/> into device memory. For ordinary (pageable) host memory the
    /// driver has staged the data when the call returns, so the span may be reused at once.
    /// </summary>
    public void CopyToDevice<T>(ReadOnlySpan<T> source, DeviceMemory<T> destination) where T : unmanaged
    {
        CheckSameLength(destination.Length, source.Length);
        using var scope = Context.Bind();
        fixed (T* p = source)
            CuCheck.ThrowIfFailed(CuDriver.MemcpyHtoDAsync(destination.Address, p, Bytes<T>(source.Length), Handle));
    }

    /// <summary>Queues a device-to-device copy between views of equal length.</summary>
    public void CopyDeviceToDevice<T>(DeviceMemory<T> source, DeviceMemory<T> destination) where T : unmanaged
    {
        CheckSameLength(source.Length, destination.Length);
        using var scope = Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.MemcpyDtoDAsync(destination.Address, source.Address, Bytes<T>(source.Length), Handle));
    }

    /// <summary>Queues zero-filling of <paramref name="memory"/>.</summary>
    public void Zero<T>(DeviceMemory<T> memory) where T : unmanaged
    {
        if (memory.Length == 0)
            return;
        using var scope = Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.MemsetD8Async(memory.Address, 0, Bytes<T>(memory.Length), Handle));
    }

    /// <inheritdoc/>
    protected override void ReleaseNative()
    {
        if (_handle == 0)
            return;
        var handle = _handle;
        _handle = 0;
        CuCheck.ThrowIfFailed(CuDriver.StreamDestroy(handle));
    }

    private static nuint Bytes<T>(long count) where T : unmanaged => (nuint)(count * Unsafe.SizeOf<T>());

    private static void CheckSameLength(long device, long host)
    {
        if (device != host)
            throw new ArgumentException($"the device view holds {device} elements but the host span {host}");
    }
}
