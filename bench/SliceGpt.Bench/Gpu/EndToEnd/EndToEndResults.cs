using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>How a model got onto the GPU, or why it did not.</summary>
/// <param name="Variant">The model.</param>
/// <param name="HostBuildSeconds">Making the random host model (all cores).</param>
/// <param name="HostBytes">Host fp32 bytes of its distinct arrays (blocks share them).</param>
/// <param name="UploadSeconds">CudaBackend.Prepare: fp32 to fp16 on the host and the copies, a device copy per block.</param>
/// <param name="DeviceBytes">The device weights' bytes (CudaExecutableModel.WeightBytes).</param>
/// <param name="FreeBytesAfter">Free device memory after the upload.</param>
/// <param name="Failure">Why the model is not on the GPU (does not fit), or null.</param>
internal sealed record ModelLoad(ModelVariant Variant, double HostBuildSeconds, long HostBytes, double UploadSeconds, long DeviceBytes,
    long FreeBytesAfter, string? Failure);

/// <summary>One case's numbers, computed from its GPU-timed samples (microseconds).</summary>
/// <param name="Case">The case.</param>
/// <param name="Samples">Samples behind the statistics.</param>
/// <param name="MedianMicroseconds">Median sample: one forward, or one decode step.</param>
/// <param name="MeanMicroseconds">Mean sample (decode: the paper's "average per-token time").</param>
/// <param name="P10Microseconds">10th percentile.</param>
/// <param name="P90Microseconds">90th percentile.</param>
/// <param name="TokensPerSecond">Prefill: batch·seqLen over the median forward; decode: 1 over the mean step.</param>
/// <param name="SpeedupOverDense">Tokens/s over the dense model's in the same case (prefill: equal batch); NaN when either is missing.</param>
/// <param name="BytesPerToken">Decode: the bytes one step must read (<see cref="DecodeRoofline"/>); NaN for prefill.</param>
/// <param name="RooflineShare">Decode: bytes/token over the mean step time, over the datasheet bandwidth; NaN when unknown.</param>
/// <param name="Status">Null when it ran; otherwise why not (out of memory, say).</param>
internal sealed record EndToEndRow(EndToEndCase Case, int Samples, double MedianMicroseconds, double MeanMicroseconds, double P10Microseconds,
    double P90Microseconds, double TokensPerSecond, double SpeedupOverDense, double BytesPerToken, double RooflineShare, string? Status);

/// <summary>
/// What the end-to-end suites found besides the timings (which live in <see cref="GpuTimings"/>): model uploads, and
/// cases that could not run, with the reason. In-process, so the exporters see what the benchmarks recorded.
/// </summary>
internal static class EndToEndResults
{
    private static readonly Dictionary<ModelVariant, ModelLoad> Loads = [];
    private static readonly Dictionary<string, string> Skips = new(StringComparer.Ordinal);
    private static readonly Lock StoreLock = new();

    /// <summary>Records a model's upload (the latest per variant).</summary>
    public static void RecordLoad(ModelLoad load)
    {
        lock (StoreLock)
            Loads[load.Variant] = load;
    }

    /// <summary>The uploads recorded, dense first.</summary>
    public static IReadOnlyList<ModelLoad> ModelLoads()
    {
        lock (StoreLock)
            return ModelVariants.All.Where(Loads.ContainsKey).Select(v => Loads[v]).ToList();
    }

    /// <summary>Marks <paramref name="id"/> as not run because of <paramref name="reason"/> (one line).</summary>
    public static void Skip(string id, string reason)
    {
        lock (StoreLock)
            Skips[id] = reason;
    }

    /// <summary>Forgets <paramref name="id"/>'s status (its setup starts afresh).</summary>
    public static void Reset(string id)
    {
        lock (StoreLock)
            Skips.Remove(id);
        GpuTimings.Reset(id);
    }

    /// <summary>Why <paramref name="id"/> did not run, or null.</summary>
    public static string? SkipReason(string id)
    {
        lock (StoreLock)
            return Skips.GetValueOrDefault(id);
    }

    /// <summary>The rows of <paramref name="cases"/>, speedups against the dense case of the same kind and batch.</summary>
    /// <param name="cases">The cases a summary ran.</param>
    /// <param name="peakBytesPerSecond">The device's datasheet memory bandwidth, or null.</param>
    public static IReadOnlyList<EndToEndRow> Rows(IReadOnlyList<EndToEndCase> cases, double? peakBytesPerSecond)
    {
        var rows = cases.Select(c => Row(c, peakBytesPerSecond)).ToList();
        return rows.Select(r =>
        {
            var dense = rows.FirstOrDefault(d => d.Case.Variant == ModelVariant.Dense && d.Case.Kind == r.Case.Kind && d.Case.Batch == r.Case.Batch);
            return r with { SpeedupOverDense = dense is null ? double.NaN : r.TokensPerSecond / dense.TokensPerSecond };
        }).ToList();
    }

    private static EndToEndRow Row(EndToEndCase c, double? peak)
    {
        var samples = GpuTimings.Get(c.Id);
        double median = GpuTimings.Quantile(samples, 0.5);
        double mean = samples.Length == 0 ? double.NaN : samples.Average();
        bool decode = c.Kind == EndToEndKind.Decode;
        double tokensPerSecond = decode ? 1e6 / mean : c.TokensPerSample * 1e6 / median;
        double bytes = decode ? DecodeRoofline.BytesPerToken(EndToEndModels.Blueprint(c.Variant), c.SeqLen, c.Steps, sizeof(short)) : double.NaN;
        double share = decode ? DecodeRoofline.RooflineShare(bytes, mean / 1e6, peak) : double.NaN;
        string? status = SkipReason(c.Id) ?? (samples.Length == 0 ? "not run (see the log)" : null);
        return new EndToEndRow(c, samples.Length, median, mean, GpuTimings.Quantile(samples, 0.1), GpuTimings.Quantile(samples, 0.9),
            tokensPerSecond, double.NaN, bytes, share, status);
    }
}
