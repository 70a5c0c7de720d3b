namespace SliceGpt.Runtime.Evaluation;

/// <summary>lm-evaluation-harness's multiple-choice metrics.</summary>
public static class ChoiceMetrics
{
    /// <summary>The index of the first largest value, as numpy's <c>argmax</c> picks among ties (and, like it, the first NaN if any).</summary>
    public static int Argmax(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
            throw new ArgumentException("argmax of nothing", nameof(values));
        int nan = FirstNaN(values);
        if (nan >= 0)
            return nan;
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
                best = i;
        }
        return best;
    }

    private static int FirstNaN(ReadOnlySpan<double> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (double.IsNaN(values[i]))
                return i;
        }
        return -1;
    }

    /// <summary>
    /// The choice predicted with length normalisation: argmax of log-probability / length. A zero length gives −∞ (or
    /// NaN for a zero score), as numpy's division does.
    /// </summary>
    public static int ArgmaxNormalized(ReadOnlySpan<double> logProbs, ReadOnlySpan<int> lengths)
    {
        Span<double> normalized = logProbs.Length <= 64 ? stackalloc double[logProbs.Length] : new double[logProbs.Length];
        for (int i = 0; i < logProbs.Length; i++)
            normalized[i] = logProbs[i] / lengths[i];
        return Argmax(normalized);
    }

    /// <summary>The harness's <c>mean_stderr</c>: sample standard deviation (divisor n − 1) over √n; null below two values.</summary>
    public static double? MeanStandardError(IReadOnlyCollection<double> values)
    {
        int n = values.Count;
        if (n < 2)
            return null;
        double mean = values.Average();
        double squares = values.Sum(v => (v - mean) * (v - mean));
        return Math.Sqrt(squares / (n - 1)) / Math.Sqrt(n);
    }
}
