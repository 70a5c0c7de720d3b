using System.Runtime.CompilerServices;
using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// Device memory for <see cref="Length"/> elements of <typeparamref name="T"/>, owned by this object (one
/// cuMemAlloc, one cuMemFree). It belongs to its <see cref="CudaContext"/>, which frees it at the latest when
/// the context is disposed. Views (<see cref="Memory"/>, <see cref="Slice"/>) are valid while it is alive.
/// Host spans may be ordinary managed or pooled memory: the driver stages pageable memory, so every copy
/// has finished reading or writing the span when the call returns, and the span is free for reuse.
/// </summary>
public sealed unsafe class DeviceBuffer<T> : CudaResource where T : unmanaged
{
    private ulong _address;

    internal DeviceBuffer(CudaContext context, long length) : base(context)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        if (length == 0)
            return;
        try
        {
            using var scope = context.Bind();
            CuCheck.ThrowIfFailed(CuDriver.MemAlloc(out _address, (nuint)SizeInBytes));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The number of elements.</summary>
    public long Length { get; }

    /// <summary>The size in bytes.</summary>
    public long SizeInBytes => Length * Unsafe.SizeOf<T>();

    /// <summary>The device address (0 for an empty buffer).</summary>
    public ulong Address
    {
        get
        {
            ThrowIfDisposed();
            return _address;
        }
    }

    /// <summary>A view of the whole buffer, valid while the buffer is alive.</summary>
    public DeviceMemory<T> Memory => new(Address, Length);

    /// <summary>A view of the elements [start, start + length).</summary>
    public DeviceMemory<T> Slice(long start, long length) => Memory.Slice(start, length);

    /// <summary>The whole buffer as a view.</summary>
    public static implicit operator DeviceMemory<T>(DeviceBuffer<T> buffer) => buffer.Memory;

    /// <summary>
    /// Copies <paramref name="source"/> to the elements from <paramref name="offset"/>. Synchronous: waits for
    /// all work queued in the context first, so it sees the results of every stream.
    /// </summary>
    public void CopyFromHost(ReadOnlySpan<T> source, long offset = 0)
    {
        CheckRange(offset, source.Length);
        using var scope = Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.CtxSynchronize());
        fixed (T* p = source)
            CuCheck.ThrowIfFailed(CuDriver.MemcpyHtoD(AddressAt(offset), p, Bytes(source.Length)));
    }

    /// <summary>Copies elements from <paramref name="offset"/> into <paramref name="destination"/>, after all queued work.</summary>
    public void CopyToHost(Span<T> destination, long offset = 0)
    {
        CheckRange(offset, destination.Length);
        using var scope = Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.CtxSynchronize());
        fixed (T* p = destination)
            CuCheck.ThrowIfFailed(CuDriver.MemcpyDtoH(p, AddressAt(offset), Bytes(destination.Length)));
    }

    /// <summary>Queues a copy of <paramref name="source"/> on <paramref name="stream"/>, after the stream's earlier work.</summary>
    public void CopyFromHostAsync(ReadOnlySpan<T> source, CudaStream stream, long offset = 0)
    {
        CheckRange(offset, source.Length);
        using var scope = Context.Bind();
        fixed (T* p = source)
            CuCheck.ThrowIfFailed(CuDriver.MemcpyHtoDAsync(AddressAt(offset), p, Bytes(source.Length), stream.Handle));
    }

    /// <summary>Copies into <paramref name="destination"/> in <paramref name="stream"/>'s order (the stream's earlier work first).</summary>
    public void CopyToHostAsync(Span<T> destination, CudaStream stream, long offset = 0)
    {
        CheckRange(offset, destination.Length);
        using var scope = Context.Bind();
        fixed (T* p = destination)
            CuCheck.ThrowIfFailed(CuDriver.MemcpyDtoHAsync(p, AddressAt(offset), Bytes(destination.Length), stream.Handle));
    }

    /// <summary>Queues a device-to-device copy of <paramref name="source"/> to the elements from <paramref name="offset"/>.</summary>
    public void CopyFrom(DeviceMemory<T> source, CudaStream stream, long offset = 0)
    {
        CheckRange(offset, source.Length);
        using var scope = Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.MemcpyDtoDAsync(AddressAt(offset), source.Address, Bytes(source.Length), stream.Handle));
    }

    /// <summary>Queues zero-filling of the whole buffer on <paramref name="stream"/>.</summary>
    public void Clear(CudaStream stream)
    {
        ThrowIfDisposed();
        if (Length == 0)
            return;
        using var scope = Context.Bind();
        if (SizeInBytes % 4 == 0)
            CuCheck.ThrowIfFailed(CuDriver.MemsetD32Async(_address, 0, (nuint)(SizeInBytes / 4), stream.Handle));
        else
            CuCheck.ThrowIfFailed(CuDriver.MemsetD8Async(_address, 0, (nuint)SizeInBytes, stream.Handle));
    }

    /// <summary>Zero-fills the whole buffer now, after all queued work.</summary>
    public void Clear()
    {
        ThrowIfDisposed();
        if (Length == 0)
            return;
        using var scope = Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.CtxSynchronize());
        CuCheck.ThrowIfFailed(CuDriver.MemsetD8(_address, 0, (nuint)SizeInBytes));
        CuCheck.ThrowIfFailed(CuDriver.CtxSynchronize());
    }

    /// <summary>A new array with the buffer's contents, after all queued work.</summary>
    public T[] ToArray()
    {
        var result = new T[checked((int)Length)];
        CopyToHost(result);
        return result;
    }

    /// <inheritdoc/>
    protected override void ReleaseNative()
    {
        if (_address == 0)
            return;
        var address = _address;
        _address = 0;
        CuCheck.ThrowIfFailed(CuDriver.MemFree(address));
    }

    private void CheckRange(long offset, long count)
    {
        ThrowIfDisposed();
        if (offset < 0 || count < 0 || offset > Length - count)
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, {offset}+{count}) is outside the buffer's {Length} elements");
    }

    private ulong AddressAt(long offset) => _address + (ulong)(offset * Unsafe.SizeOf<T>());

    private static nuint Bytes(long count) => (nuint)(count * Unsafe.SizeOf<T>());
}
