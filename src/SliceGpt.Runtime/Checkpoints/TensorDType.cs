namespace SliceGpt.Runtime.Checkpoints;

/// <summary>
/// Element types a safetensors file can hold. Weights are read from the floating-point ones
/// (F32, F16, BF16, F64); the others are recognised so that a checkpoint holding integer buffers still
/// validates, but reading them as weights is refused.
/// </summary>
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
    /// <summary>Signed 8-bit integer ("I8").</summary>
    I8,
    /// <summary>Unsigned 8-bit integer ("U8").</summary>
    U8,
    /// <summary>Signed 16-bit integer ("I16").</summary>
    I16,
    /// <summary>Signed 32-bit integer ("I32").</summary>
    I32,
    /// <summary>Signed 64-bit integer ("I64").</summary>
    I64,
    /// <summary>Boolean, one byte ("BOOL").</summary>
    Bool,
}

/// <summary>Names and sizes of <see cref="TensorDType"/> as safetensors spells them.</summary>
public static class TensorDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this TensorDType dtype) => dtype switch
    {
        TensorDType.F64 or TensorDType.I64 => 8,
        TensorDType.F32 or TensorDType.I32 => 4,
        TensorDType.F16 or TensorDType.BF16 or TensorDType.I16 => 2,
        _ => 1,
    };

    /// <summary>Whether weights can be read from this type.</summary>
    public static bool IsFloatingPoint(this TensorDType dtype) =>
        dtype is TensorDType.F32 or TensorDType.F16 or TensorDType.BF16 or TensorDType.F64;

    /// <summary>The safetensors name ("F32", "BF16", …).</summary>
    public static string SafetensorsName(this TensorDType dtype) => dtype == TensorDType.Bool ? "BOOL" : dtype.ToString();

    /// <summary>Parses a safetensors dtype name; false for a name SliceGpt does not know.</summary>
    public static bool TryParse(string name, out TensorDType dtype)
    {
        foreach (var candidate in Enum.GetValues<TensorDType>())
        {
            if (candidate.SafetensorsName() == name)
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }
}
