using System.Numerics;

namespace SliceGpt.Runtime.Sparsity;

/// <summary>
/// Magnitude 2:4 structured sparsity, the pattern of the SparseGPT 2:4 baseline that SliceGPT is compared with (paper
/// appendix A.7): in every group of four consecutive inputs of a weight row ([out, in] storage), the two entries of
/// largest magnitude are kept and the other two are zeroed. This is the layout 2:4 sparse tensor cores (cuSPARSELt)
/// accelerate. SparseGPT chooses its mask with second-order information and updates the kept weights; for timing only
/// the pattern matters, so magnitude selection stands in for it.
/// </summary>
public static class TwoFourPruning
{
    /// <summary>The group length: two of every four kept.</summary>
    public const int GroupSize = 4;

    /// <summary>
    /// Prunes row-major rows of <paramref name="inFeatures"/> entries in place. Ties in magnitude keep the earlier
    /// entry, so the result is deterministic.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="inFeatures"/> is not a positive multiple of 4, or the span
    /// is not a whole number of rows.</exception>
    public static void PruneInPlace<T>(Span<T> weights, int inFeatures) where T : INumber<T>
    {
        CheckShape(weights.Length, inFeatures);
        for (int g = 0; g < weights.Length; g += GroupSize)
        {
            var group = weights.Slice(g, GroupSize);
            var (first, second) = TwoLargest(group);
            for (int i = 0; i < GroupSize; i++)
            {
                if (i != first && i != second)
                    group[i] = T.Zero;
            }
        }
    }

    /// <summary>True when every group of four consecutive inputs holds at most two non-zero entries.</summary>
    /// <exception cref="ArgumentException">The shape is invalid, as for <see cref="PruneInPlace{T}"/>.</exception>
    public static bool IsTwoFour<T>(ReadOnlySpan<T> weights, int inFeatures) where T : INumber<T>
    {
        CheckShape(weights.Length, inFeatures);
        for (int g = 0; g < weights.Length; g += GroupSize)
        {
            int nonZero = 0;
            for (int i = 0; i < GroupSize; i++)
            {
                if (!T.IsZero(weights[g + i]))
                    nonZero++;
            }
            if (nonZero > 2)
                return false;
        }
        return true;
    }

    // Indices of the largest and second-largest magnitude; on ties the lower index ranks higher.
    private static (int First, int Second) TwoLargest<T>(ReadOnlySpan<T> group) where T : INumber<T>
    {
        int first = 0, second = -1;
        T best = T.Abs(group[0]), runnerUp = T.Zero;
        for (int i = 1; i < group.Length; i++)
        {
            var magnitude = T.Abs(group[i]);
            if (magnitude > best)
            {
                (second, runnerUp) = (first, best);
                (first, best) = (i, magnitude);
            }
            else if (second < 0 || magnitude > runnerUp)
            {
                (second, runnerUp) = (i, magnitude);
            }
        }
        return (first, second);
    }

    private static void CheckShape(int length, int inFeatures)
    {
        if (inFeatures <= 0 || inFeatures % GroupSize != 0)
            throw new ArgumentException($"inFeatures = {inFeatures}: 2:4 pruning needs a positive multiple of {GroupSize}", nameof(inFeatures));
        if (length % inFeatures != 0)
            throw new ArgumentException($"{length} weights are not a whole number of rows of {inFeatures} inputs", nameof(inFeatures));
    }
}
