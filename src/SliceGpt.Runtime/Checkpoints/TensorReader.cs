using System.Runtime.InteropServices;

namespace SliceGpt.Runtime.Checkpoints;

/// <summary>Reads one tensor described by a <see cref="TensorInfo"/> out of a mapped file, converting as it goes.</summary>
internal static class TensorReader
{
    // Elements converted per slice: keeps every byte span far below int.MaxValue.
    private const int ChunkElements = 1 << 24;

    /// <summary>Copies the tensor into <paramref name="destination"/> (float or double), converted from its stored type.</summary>
    public static void Read<T>(MappedFile file, TensorInfo info, Span<T> destination) where T : unmanaged
    {
        if (!info.DType.IsFloatingPoint())
            throw new CheckpointFormatException(info.File, info.Name, "dtype", "a floating-point tensor (F32, F16, BF16 or F64)", info.DType.SafetensorsName());
        if (destination.Length != info.ElementCount)
            throw new CheckpointFormatException(info.File, info.Name, "shape", $"{destination.Length} elements", $"{info.ElementCount} ({info.ShapeText})");
        int size = info.DType.Size();
        for (int start = 0; start < destination.Length; start += ChunkElements)
        {
            int count = Math.Min(ChunkElements, destination.Length - start);
            var bytes = file.Bytes(info.ByteOffset + (long)start * size, count * size);
            var target = destination.Slice(start, count);
            if (typeof(T) == typeof(float))
                ElementConversion.ToSingle(info.DType, bytes, MemoryMarshal.Cast<T, float>(target));
            else if (typeof(T) == typeof(double))
                ElementConversion.ToDouble(info.DType, bytes, MemoryMarshal.Cast<T, double>(target));
            else
                throw new NotSupportedException($"tensors are read as float or double, not {typeof(T).Name}");
        }
    }
}
