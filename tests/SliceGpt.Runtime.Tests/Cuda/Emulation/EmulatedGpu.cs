using System.Runtime.InteropServices;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Cuda;

namespace SliceGpt.Runtime.Tests.Cuda.Emulation;

/// <summary>
/// A stand-in GPU in host memory, for tests only: "device addresses" are native host pointers and
/// <see cref="EmulatedQueue{T}"/> carries out each launcher's documented semantics on them in plain C#. It lets the
/// real <see cref="CudaSession{T}"/> code (buffer planning, offsets, leading dimensions, the KV cache, the loss
/// reduction, lifetimes) run without a GPU against the CPU reference. It proves nothing about the kernels
/// themselves, which the GPU tests cover. Fresh memory is filled with 0xFF bytes (NaN in every float type, −1
/// as int), so reading something never written shows up in the results; every view an operation touches must
/// lie inside one live allocation.
/// </summary>
internal sealed unsafe class EmulatedGpu : IGpu
{
    private readonly SharedLifetime _lifetime;
    private readonly List<HostBlock> _blocks = [];
    private int _liveQueues;

    public EmulatedGpu() => _lifetime = new SharedLifetime(() => { });

    public CudaDeviceInfo Info { get; } = new(0, "emulated GPU (host memory)", 0, 0, 4, 1L << 30, 1024, 48 << 10, 0, L2CacheBytes: 0);

    public bool IsReleased => _lifetime.IsReleased;

    /// <summary>Allocations not yet freed.</summary>
    public int LiveBlocks
    {
        get
        {
            lock (_blocks)
                return _blocks.Count;
        }
    }

    /// <summary>Queues not yet disposed.</summary>
    public int LiveQueues => Volatile.Read(ref _liveQueues);

    public ContextScope Bind() => default;

    public IDeviceBlock Allocate(long bytes, string what)
    {
        var block = new HostBlock(this, bytes);
        lock (_blocks)
            _blocks.Add(block);
        return block;
    }

    public IGpuQueue<T> CreateQueue<T>() where T : unmanaged
    {
        Interlocked.Increment(ref _liveQueues);
        return new EmulatedQueue<T>(this);
    }

    public bool TryAcquire() => _lifetime.TryAcquire();

    public void Release() => _lifetime.Release();

    internal void QueueDisposed() => Interlocked.Decrement(ref _liveQueues);

    /// <summary>Throws unless [address, address + bytes) lies inside one live allocation.</summary>
    internal void CheckInside(ulong address, long bytes, string what)
    {
        if (bytes == 0)
            return;
        lock (_blocks)
        {
            foreach (var block in _blocks)
                if (address >= block.Address && address + (ulong)bytes <= block.Address + (ulong)block.Bytes)
                    return;
        }
        throw new InvalidOperationException($"{what}: [0x{address:x}, +{bytes}) is not inside a live device allocation");
    }

    private void Freed(HostBlock block)
    {
        lock (_blocks)
            _blocks.Remove(block);
    }

    private sealed class HostBlock : IDeviceBlock
    {
        private readonly EmulatedGpu _gpu;
        private void* _memory;

        public HostBlock(EmulatedGpu gpu, long bytes)
        {
            _gpu = gpu;
            Bytes = bytes;
            _memory = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 256);
            new Span<byte>(_memory, checked((int)bytes)).Fill(0xFF);
        }

        public ulong Address => _memory == null ? throw new ObjectDisposedException(nameof(HostBlock)) : (ulong)_memory;

        public long Bytes { get; }

        public void Upload(ReadOnlySpan<byte> source, long byteOffset)
        {
            Check(byteOffset, source.Length);
            source.CopyTo(new Span<byte>((byte*)_memory + byteOffset, source.Length));
        }

        public void Download(Span<byte> destination, long byteOffset)
        {
            Check(byteOffset, destination.Length);
            new ReadOnlySpan<byte>((byte*)_memory + byteOffset, destination.Length).CopyTo(destination);
        }

        public void Dispose()
        {
            if (_memory == null)
                return;
            _gpu.Freed(this);
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }

        private void Check(long offset, int count)
        {
            ObjectDisposedException.ThrowIf(_memory == null, this);
            if (offset < 0 || offset + count > Bytes)
                throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, +{count}) outside {Bytes} bytes");
        }
    }
}
