using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests.Support;

/// <summary>The storage types a kernel test runs with.</summary>
public enum StorageType
{
    F32,
    F16,
    Bf16,
}

/// <summary>Host conversions between float and the kernels' storage types, and per-type test dispatch.</summary>
internal static class Storage
{
    internal static T[] Encode<T>(ReadOnlySpan<float> values) where T : unmanaged
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (typeof(T) == typeof(float))
                result[i] = (T)(object)values[i];
            else if (typeof(T) == typeof(Half))
                result[i] = (T)(object)(Half)values[i];
            else if (typeof(T) == typeof(BFloat16))
                result[i] = (T)(object)(BFloat16)values[i];
            else
                throw new NotSupportedException(typeof(T).Name);
        }
        return result;
    }

    internal static float[] Decode<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            object v = values[i];
            result[i] = v switch
            {
                float f => f,
                Half h => (float)h,
                BFloat16 b => (float)b,
                _ => throw new NotSupportedException(typeof(T).Name),
            };
        }
        return result;
    }

    /// <summary>The values as the storage type holds them: what the kernel actually reads.</summary>
    internal static float[] Representable<T>(float[] values) where T : unmanaged => Decode<T>(Encode<T>(values));

    /// <summary>Runs the instantiation for <paramref name="type"/>.</summary>
    internal static void For(StorageType type, Action f32, Action f16, Action bf16) =>
        (type switch { StorageType.F32 => f32, StorageType.F16 => f16, _ => bf16 })();

    internal static StorageType TypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? StorageType.F32 : typeof(T) == typeof(Half) ? StorageType.F16 : StorageType.Bf16;
}
