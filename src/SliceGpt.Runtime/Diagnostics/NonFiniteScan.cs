using System.Numerics;
using System.Numerics.Tensors;

namespace SliceGpt.Runtime.Diagnostics;

/// <summary>
/// Finds the first NaN or infinity in a span. The common case (every value finite) runs as a vectorised check
/// (<see cref="TensorPrimitives.IsFiniteAll{T}(ReadOnlySpan{T})"/>) chunk by chunk; only a chunk that fails is searched
/// element by element. Its cost on a 1 GB checkpoint is in docs/benchmarks.md.
/// </summary>
public static class NonFiniteScan
{
    // 16K elements (64 KiB of float32): the chunk is still in L2 when a failing one is searched again element by element.
    private const int Chunk = 1 << 14;

    /// <summary>The index of the first non-finite element, or −1 when every element is finite.</summary>
    public static long IndexOfNonFinite<T>(ReadOnlySpan<T> values) where T : IFloatingPointIeee754<T>
    {
        for (int start = 0; start < values.Length; start += Chunk)
        {
            var chunk = values.Slice(start, Math.Min(Chunk, values.Length - start));
            if (TensorPrimitives.IsFiniteAll(chunk))
                continue;
            for (int i = 0; i < chunk.Length; i++)
            {
                if (!T.IsFinite(chunk[i]))
                    return start + i;
            }
        }
        return -1;
    }

    /// <summary>True when every element is finite.</summary>
    public static bool AllFinite<T>(ReadOnlySpan<T> values) where T : IFloatingPointIeee754<T> => IndexOfNonFinite(values) < 0;
}
