namespace SliceGpt.Runtime.Checkpoints;

/// <summary>Element types that checkpoints can hold. The compute dtypes are F32, F16, BF16 (and F64 in test mode).</summary>
public enum TensorDType
{
    /// <summary>IEEE float32 ("F32").</summary>
    F32,
    /// <summary>IEEE float16 ("F16").</summary>
    F16,
    /// <summary>bfloat16 ("BF16").</summary>
    BF16,
    /// <summary>IEEE float64 ("F64").</summary>
    F64,
}
