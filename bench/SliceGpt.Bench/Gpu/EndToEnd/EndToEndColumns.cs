using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>
/// A summary column computed from a case parameter of type <typeparamref name="TCase"/> and the suite's own results,
/// never from BenchmarkDotNet's wall-clock statistics (hidden by <see cref="GpuRunConfig"/>).
/// </summary>
internal sealed class SuiteColumn<TCase>(string name, string legend, Func<Summary, TCase, string> value, bool numeric) : IColumn
    where TCase : class
{
    private static int _order;
    private readonly int _priority = Interlocked.Increment(ref _order);

    public string Id => $"SliceGpt.{typeof(TCase).Name}.{name}";
    public string ColumnName => name;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => _priority;
    public bool IsNumeric => numeric;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => legend;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        CaseOf(benchmarkCase) is { } c ? value(summary, c) : "NA";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;

    /// <summary>The <typeparamref name="TCase"/> a benchmark case runs, or null for other suites.</summary>
    public static TCase? CaseOf(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters.Items.Select(p => p.Value).OfType<TCase>().FirstOrDefault();

    /// <summary>Every <typeparamref name="TCase"/> of a summary, in suite order.</summary>
    public static List<TCase> CasesOf(Summary summary) => summary.BenchmarksCases.Select(CaseOf).OfType<TCase>().ToList();
}

/// <summary>The prefill/decode suites' columns.</summary>
internal static class EndToEndColumns
{
    /// <summary>Every column, in display order.</summary>
    public static IColumn[] All { get; } =
    [
        Column("Model", "LLAMA-2 7B shapes (config.json read by the engine's adapter), random fp16 weights", (_, r) => r.Case.Variant.Label(), false),
        Column("Measure", "prefill BxS: one forward of B sequences of S tokens; decode N after P: N batch-1 steps after a P-token prompt",
            (_, r) => r.Case.Kind == EndToEndKind.Prefill ? $"prefill {r.Case.Batch}x{r.Case.SeqLen}" : $"decode {r.Case.Steps} after {r.Case.SeqLen}", false),
        Column("GPU ms", "Median GPU time of one sample between CUDA events: one forward (prefill) or one token (decode)",
            (_, r) => Format(r.MedianMicroseconds / 1000, "F3"), true),
        Column("p10-p90 ms", "10th and 90th percentile of the samples",
            (_, r) => r.Samples == 0 ? "NA" : $"{Format(r.P10Microseconds / 1000, "F3")}-{Format(r.P90Microseconds / 1000, "F3")}", false),
        Column("n", "GPU-timed samples behind the statistics", (_, r) => r.Samples.ToString(CultureInfo.InvariantCulture), true),
        Column("GPU tokens/s", "Prefill: batch x seqLen / median forward; decode: 1 / mean step (the paper's average per-token time)",
            (_, r) => Format(r.TokensPerSecond, "N0"), true),
        Column("vs dense", "Tokens/s over the dense model's in the same measure (prefill: equal batch)",
            (_, r) => double.IsFinite(r.SpeedupOverDense) ? r.SpeedupOverDense.ToString("F2", CultureInfo.InvariantCulture) + "x" : "NA", true),
        Column("% HBM peak", "Decode: bytes a step must read (weights once, one embedding row, the KV cache) / mean step time, over the datasheet bandwidth",
            (_, r) => Format(100 * r.RooflineShare, "F1"), true),
        Column("Status", "ok, or why the case did not run (a batch that does not fit is an expected outcome of the doubling)",
            (_, r) => r.Status ?? "ok", false),
    ];

    /// <summary>The rows of a summary's end-to-end cases (speedups need the dense rows too).</summary>
    public static IReadOnlyList<EndToEndRow> Rows(Summary summary) =>
        EndToEndResults.Rows(SuiteColumn<EndToEndCase>.CasesOf(summary), PeakBandwidth());

    /// <summary>The running device's datasheet memory bandwidth, or null.</summary>
    public static double? PeakBandwidth() =>
        EndToEndModels.Current is { } backend ? DeviceBandwidth.PeakBytesPerSecond(backend.Device) : null;

    internal static string Format(double value, string format) =>
        double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "NA";

    private static IColumn Column(string name, string legend, Func<Summary, EndToEndRow, string> value, bool numeric) =>
        new SuiteColumn<EndToEndCase>(name, legend, (summary, c) => value(summary, Rows(summary).First(r => r.Case == c)), numeric);
}
