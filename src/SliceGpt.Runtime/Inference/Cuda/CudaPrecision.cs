using SliceGpt.Native.Cuda;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>
/// How a model is stored on the GPU. Weights and activations (the residual stream, the KV cache) use this
/// type; every kernel computes in fp32 and cuBLAS accumulates in fp32; logits are always fp32.
/// </summary>
public enum CudaPrecision
{
    /// <summary>IEEE single precision: the CPU reference's precision, for parity and evaluation.</summary>
    Float32,
    /// <summary>IEEE half precision (11 significant bits).</summary>
    Float16,
    /// <summary>bfloat16 (8 significant bits, float32's range).</summary>
    BFloat16,
}

/// <summary>Names and storage types of <see cref="CudaPrecision"/>.</summary>
public static class CudaPrecisionExtensions
{
    /// <summary>"fp32", "fp16" or "bf16", as reports print it.</summary>
    public static string ShortName(this CudaPrecision precision) => precision switch
    {
        CudaPrecision.Float32 => "fp32",
        CudaPrecision.Float16 => "fp16",
        CudaPrecision.BFloat16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "not a CUDA precision"),
    };

    /// <summary>The precision whose storage type is <typeparamref name="T"/> (float, Half or BFloat16).</summary>
    public static CudaPrecision Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            return CudaPrecision.Float32;
        if (typeof(T) == typeof(Half))
            return CudaPrecision.Float16;
        if (typeof(T) == typeof(BFloat16))
            return CudaPrecision.BFloat16;
        throw new NotSupportedException($"{typeof(T).Name} is not a CUDA storage type (float, Half, BFloat16)");
    }
}
