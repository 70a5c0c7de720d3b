using System.Numerics;

namespace SliceGpt.Runtime.Models;

/// <summary>
/// A normalisation layer. After SliceGPT's fusion it is a weightless RMSNorm whose divisor stays the
/// original width (<see cref="MeanDim"/>), so sliced coordinates count as zeros.
/// </summary>
/// <param name="Kind">RMSNorm or LayerNorm.</param>
/// <param name="Weight">The scale γ, or null for a weightless norm.</param>
/// <param name="Bias">The shift β (LayerNorm only), or null.</param>
/// <param name="Eps">The epsilon inside the square root.</param>
/// <param name="MeanDim">The divisor of the mean square (RMSNorm); the original D.</param>
public sealed record Norm<T>(NormKind Kind, T[]? Weight, T[]? Bias, double Eps, int MeanDim)
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Number of parameters.</summary>
    public long ParameterCount => (Weight?.Length ?? 0) + (Bias?.Length ?? 0);

    /// <summary>Converts to another element type.</summary>
    public Norm<TOut> Convert<TOut>() where TOut : unmanaged, IBinaryFloatingPointIeee754<TOut> =>
        new(Kind, Weight is null ? null : VectorOps.Convert<T, TOut>(Weight),
            Bias is null ? null : VectorOps.Convert<T, TOut>(Bias), Eps, MeanDim);
}
