namespace SliceGpt.Bench.Support;

/// <summary>
/// The CUDA-event times of every timed product, per case id, in microseconds of GPU time. BenchmarkDotNet's own
/// statistics are host wall-clock times (here: queueing, the L2 flush and waiting for the GPU), so the GPU suites report
/// these instead, through their columns and exporters. The suites run in-process, so this store is in the process that
/// prints the summary.
/// </summary>
internal static class GpuTimings
{
    private static readonly Dictionary<string, List<double>> Samples = new(StringComparer.Ordinal);
    private static readonly Lock SamplesLock = new();

    /// <summary>Forgets <paramref name="id"/>'s samples (a case's setup starts afresh).</summary>
    public static void Reset(string id)
    {
        lock (SamplesLock)
            Samples.Remove(id);
    }

    /// <summary>Appends samples for <paramref name="id"/>.</summary>
    public static void Add(string id, ReadOnlySpan<double> microseconds)
    {
        lock (SamplesLock)
        {
            if (!Samples.TryGetValue(id, out var list))
                Samples[id] = list = [];
            foreach (var v in microseconds)
                list.Add(v);
        }
    }

    /// <summary>A copy of <paramref name="id"/>'s samples, empty when it was not timed.</summary>
    public static double[] Get(string id)
    {
        lock (SamplesLock)
            return Samples.TryGetValue(id, out var list) ? [.. list] : [];
    }

    /// <summary>The median GPU time of <paramref name="id"/> in microseconds, or NaN when it was not timed.</summary>
    public static double Median(string id) => Quantile(Get(id), 0.5);

    /// <summary>The <paramref name="q"/>-quantile (linear interpolation between order statistics), NaN when empty.</summary>
    public static double Quantile(IReadOnlyList<double> samples, double q)
    {
        if (samples.Count == 0)
            return double.NaN;
        var sorted = samples.Order().ToArray();
        double position = q * (sorted.Length - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
