using System.Numerics;

namespace SliceGpt.Runtime.Models;

/// <summary>y = x·Wᵀ + b with W stored [out, in].</summary>
/// <param name="Weight">The weight, [out, in].</param>
/// <param name="Bias">The bias, [out], or null.</param>
public sealed record Linear<T>(Matrix<T> Weight, T[]? Bias) where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Output width.</summary>
    public int OutFeatures => Weight.Rows;

    /// <summary>Input width.</summary>
    public int InFeatures => Weight.Cols;

    /// <summary>Number of parameters (weight and bias).</summary>
    public long ParameterCount => (long)Weight.Rows * Weight.Cols + (Bias?.Length ?? 0);

    /// <summary>Converts to another element type.</summary>
    public Linear<TOut> Convert<TOut>() where TOut : unmanaged, IBinaryFloatingPointIeee754<TOut> =>
        new(Weight.Convert<TOut>(), Bias is null ? null : VectorOps.Convert<T, TOut>(Bias));
}
