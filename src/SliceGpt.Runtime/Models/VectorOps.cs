using System.Numerics;

namespace SliceGpt.Runtime.Models;

internal static class VectorOps
{
    public static TOut[] Convert<TIn, TOut>(TIn[] source)
        where TIn : unmanaged, IBinaryFloatingPointIeee754<TIn>
        where TOut : unmanaged, IBinaryFloatingPointIeee754<TOut>
    {
        var result = new TOut[source.Length];
        for (int i = 0; i < source.Length; i++)
            result[i] = TOut.CreateTruncating(source[i]);
        return result;
    }
}
