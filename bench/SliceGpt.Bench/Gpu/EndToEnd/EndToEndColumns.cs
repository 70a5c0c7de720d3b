using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using SliceGpt.Bench.Gpu.Comparison;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu.EndToEnd;

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
        Column("vs PyTorch", "Tokens/s over PyTorch's fastest completed run of the same measure in the same run (bench/pytorch; dense PyTorch)",
            (_, r) => double.IsFinite(EndToEndExporter.VersusPyTorch(r, PyTorchResults.EndToEnd))
                ? EndToEndExporter.VersusPyTorch(r, PyTorchResults.EndToEnd).ToString("F2", CultureInfo.InvariantCulture) + "x" : "NA", true),
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
