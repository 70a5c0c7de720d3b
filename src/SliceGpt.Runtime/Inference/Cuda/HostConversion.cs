using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>float to a GPU storage type on the host, rounding to nearest even (as the convert kernels do).</summary>
internal static class HostConversion
{
    /// <summary>destination[i] = (T)source[i].</summary>
    public static void FromFloat<T>(ReadOnlySpan<float> source, Span<T> destination) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            source.CopyTo(MemoryMarshal.Cast<T, float>(destination));
        else if (typeof(T) == typeof(Half))
            TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<T, Half>(destination));
        else if (typeof(T) == typeof(BFloat16))
        {
            var bf16 = MemoryMarshal.Cast<T, BFloat16>(destination);
            for (int i = 0; i < source.Length; i++)
                bf16[i] = (BFloat16)source[i];
        }
        else
            throw new NotSupportedException($"{typeof(T).Name} is not a CUDA storage type (float, Half, BFloat16)");
    }
}
