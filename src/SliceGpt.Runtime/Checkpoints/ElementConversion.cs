using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace SliceGpt.Runtime.Checkpoints;

/// <summary>Converts stored little-endian tensor bytes to float32 or float64, and float32 to 16-bit formats.</summary>
internal static class ElementConversion
{
    /// <summary>Converts <paramref name="bytes"/> of <paramref name="dtype"/> into <paramref name="destination"/>.</summary>
    public static void ToSingle(TensorDType dtype, ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        switch (dtype)
        {
            case TensorDType.F32:
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
                break;
            case TensorDType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes), destination);
                break;
            case TensorDType.BF16:
                var raw = MemoryMarshal.Cast<byte, ushort>(bytes);
                var bits = MemoryMarshal.Cast<float, uint>(destination);
                for (int i = 0; i < raw.Length; i++)
                    bits[i] = (uint)raw[i] << 16; // bfloat16 is the upper half of a float32
                break;
            case TensorDType.F64:
                var doubles = MemoryMarshal.Cast<byte, double>(bytes);
                for (int i = 0; i < doubles.Length; i++)
                    destination[i] = (float)doubles[i];
                break;
            default:
                throw new NotSupportedException($"{dtype} is not a floating-point type");
        }
    }

    /// <summary>Converts <paramref name="bytes"/> of <paramref name="dtype"/> into <paramref name="destination"/> exactly.</summary>
    public static void ToDouble(TensorDType dtype, ReadOnlySpan<byte> bytes, Span<double> destination)
    {
        if (dtype == TensorDType.F64)
        {
            MemoryMarshal.Cast<byte, double>(bytes).CopyTo(destination);
            return;
        }
        // Every F32, F16 and BF16 value is exactly representable in float32, and float32 in float64.
        const int Chunk = 4096;
        Span<float> buffer = stackalloc float[Chunk];
        int size = dtype.Size();
        for (int start = 0; start < destination.Length; start += Chunk)
        {
            int count = Math.Min(Chunk, destination.Length - start);
            ToSingle(dtype, bytes.Slice(start * size, count * size), buffer[..count]);
            for (int i = 0; i < count; i++)
                destination[start + i] = buffer[i];
        }
    }

    /// <summary>float32 → bfloat16 bits, rounding to nearest even (NaN stays NaN).</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return (ushort)((bits >> 16) | 0x40);
        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }
}
