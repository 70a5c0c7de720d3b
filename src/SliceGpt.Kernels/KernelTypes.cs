using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels;

/// <summary>
/// Storage types the kernels accept and the entry-point suffix of each: float → _f32, <see cref="Half"/> →
/// _f16, <see cref="BFloat16"/> → _bf16 (and double → f64 for conversions). Arithmetic is fp32 throughout.
/// </summary>
public static class KernelTypes
{
    /// <summary>The suffix for <typeparamref name="T"/> ("f32", "f16", "bf16", "f64").</summary>
    public static string Suffix<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            return "f32";
        if (typeof(T) == typeof(Half))
            return "f16";
        if (typeof(T) == typeof(BFloat16))
            return "bf16";
        if (typeof(T) == typeof(double))
            return "f64";
        throw new NotSupportedException($"{typeof(T).Name} is not a kernel storage type (float, Half, BFloat16)");
    }

    /// <summary>0, 1 or 2 for the three activation storage types; throws for anything else.</summary>
    internal static int StorageIndex<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            return 0;
        if (typeof(T) == typeof(Half))
            return 1;
        if (typeof(T) == typeof(BFloat16))
            return 2;
        throw new NotSupportedException($"{typeof(T).Name} is not a kernel storage type (float, Half, BFloat16)");
    }

    internal static readonly string[] StorageSuffixes = ["f32", "f16", "bf16"];
}
