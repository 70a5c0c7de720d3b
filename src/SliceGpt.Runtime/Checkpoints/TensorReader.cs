using System.Runtime.InteropServices;
using SliceGpt.Runtime.Numerics;

namespace SliceGpt.Runtime.Checkpoints;

/// <summary>Reads one tensor described by a <see cref="TensorInfo"/> out of a mapped file, converting as it goes.</summary>
internal static class TensorReader
{
    // Elements converted per slice: keeps every byte span far below int.MaxValue.
    private const int ChunkElements = 1 << 24;

    // Elements converted and then checked together: 64 KiB of float32, still in L2 when the check reads them.
    private const int CheckBlock = 1 << 14;

    /// <summary>
    /// Copies the tensor into <paramref name="destination"/> (float or double), converted from its stored type, and checks
    /// that every converted value is finite (a float64 weight beyond float32's range becomes an infinity here too).
    /// <paramref name="checkFinite"/> is false only to measure the check's cost.
    /// </summary>
    /// <exception cref="NonFiniteValueException">A NaN or infinite weight; the message names the tensor and the index.</exception>
    public static void Read<T>(MappedFile file, TensorInfo info, Span<T> destination, bool checkFinite = true) where T : unmanaged
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
            // Converted and checked a cache-sized block at a time: the check reads what the conversion just wrote.
            for (int block = 0; block < count; block += CheckBlock)
            {
                int n = Math.Min(CheckBlock, count - block);
                var source = bytes.Slice(block * size, n * size);
                var target = destination.Slice(start + block, n);
                long bad;
                if (typeof(T) == typeof(float))
                {
                    var floats = MemoryMarshal.Cast<T, float>(target);
                    ElementConversion.ToSingle(info.DType, source, floats);
                    if (checkFinite && (bad = NonFiniteScan.IndexOfNonFinite<float>(floats)) >= 0)
                        throw NonFiniteValueException.InWeight(info.File, info.Name, info.Shape, start + block + bad, floats[(int)bad]);
                }
                else if (typeof(T) == typeof(double))
                {
                    var doubles = MemoryMarshal.Cast<T, double>(target);
                    ElementConversion.ToDouble(info.DType, source, doubles);
                    if (checkFinite && (bad = NonFiniteScan.IndexOfNonFinite<double>(doubles)) >= 0)
                        throw NonFiniteValueException.InWeight(info.File, info.Name, info.Shape, start + block + bad, doubles[(int)bad]);
                }
                else
                    throw new NotSupportedException($"tensors are read as float or double, not {typeof(T).Name}");
            }
        }
    }
}
