using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>A typed region of a <see cref="DeviceArena"/>: its byte offset and element count.</summary>
internal readonly record struct ArenaSlot<T>(long ByteOffset, long Length) where T : unmanaged;

/// <summary>
/// Plans an arena: regions are appended at 256-byte boundaries (cuBLAS's tensor-core paths want 16-byte aligned
/// operands; 256 keeps every region on its own cache-line group), so planning twice in the same order gives
/// the same offsets.
/// </summary>
internal sealed class ArenaLayout
{
    private const long Alignment = 256;

    /// <summary>Bytes planned so far.</summary>
    public long Bytes { get; private set; }

    /// <summary>Appends a region of <paramref name="length"/> elements.</summary>
    public ArenaSlot<T> Reserve<T>(long length) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var slot = new ArenaSlot<T>(Bytes, length);
        Bytes = checked(Bytes + (length * Unsafe.SizeOf<T>() + Alignment - 1) / Alignment * Alignment);
        return slot;
    }
}

/// <summary>
/// One device allocation carved into the regions of an <see cref="ArenaLayout"/>: a session's activations and KV
/// cache, or a model's weights, are one cuMemAlloc and one cuMemFree. Views are valid while the arena is alive.
/// </summary>
internal sealed class DeviceArena : IDisposable
{
    private readonly IDeviceBlock _block;

    private DeviceArena(IDeviceBlock block) => _block = block;

    /// <summary>The size in bytes.</summary>
    public long Bytes => _block.Bytes;

    /// <summary>Allocates <paramref name="layout"/>; an out-of-memory error says what needed how much and what was free.</summary>
    public static DeviceArena Allocate(IGpu gpu, ArenaLayout layout, string what) => new(gpu.Allocate(layout.Bytes, what));

    /// <summary>The region <paramref name="slot"/>, valid while the arena is alive.</summary>
    public DeviceMemory<T> View<T>(ArenaSlot<T> slot) where T : unmanaged =>
        slot.Length == 0 ? default : new DeviceMemory<T>(_block.Address + (ulong)slot.ByteOffset, slot.Length);

    /// <summary>Copies <paramref name="source"/> into the region at <paramref name="byteOffset"/> (synchronous).</summary>
    public void Upload(ReadOnlySpan<byte> source, long byteOffset) => _block.Upload(source, byteOffset);

    /// <summary>Copies <paramref name="data"/> into <paramref name="slot"/> (synchronous; for setup, not per token).</summary>
    public void Upload<T>(ArenaSlot<T> slot, ReadOnlySpan<T> data) where T : unmanaged
    {
        if (data.Length != slot.Length)
            throw new ArgumentException($"the region holds {slot.Length} elements, the data {data.Length}", nameof(data));
        Upload(MemoryMarshal.AsBytes(data), slot.ByteOffset);
    }

    /// <summary>Frees the allocation; idempotent.</summary>
    public void Dispose() => _block.Dispose();
}
