using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using SliceGpt.Bench.Gpu.Comparison;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu;

/// <summary>
/// The GPU suites' summary columns, all computed from CUDA-event times (<see cref="GpuTimings"/>), not from
/// BenchmarkDotNet's wall-clock statistics, which the suites hide.
/// </summary>
internal static class GpuGemmColumns
{
    /// <summary>Every column, in display order.</summary>
    public static IColumn[] All { get; } =
    [
        CaseColumn("Model", "Model (config.json read by the engine's adapter)", c => c.Model, false),
        CaseColumn("Variant", "Dense, SparseGPT 2:4 (cuSPARSELt), SliceGPT at 25%/50% (cuBLAS), or sliced with the shortcuts folded", c => GemmCase.VariantLabel(c.Variant), false),
        CaseColumn("Products", "The layer products of this shape (timed once, counted once each in the layer totals)", c => string.Join(",", c.Ops), false),
        CaseColumn("MxNxK", "tokens x out x in", c => c.Shape, false),
        CaseColumn("dtype", "Storage type of X, W and Y (accumulation is fp32)", c => GemmCase.PrecisionLabel(c.Precision), false),
        CaseColumn("2:4 setup", "cuSPARSELt layout (A, B and D of D = op(A)op(B)) and whether the plan was searched", c => c.Sparse?.Name ?? "-", false),
        CaseColumn("GPU µs", "Median GPU time of one product between CUDA events, L2 flushed before each (microseconds)",
            c => Format(GpuTimings.Median(c.Id), "F1"), true),
        CaseColumn("p10-p90 µs", "10th and 90th percentile of the GPU times",
            c => GpuTimings.Get(c.Id) is { Length: > 0 } s ? $"{GpuTimings.Quantile(s, 0.1):F1}-{GpuTimings.Quantile(s, 0.9):F1}" : "NA", false),
        CaseColumn("n", "GPU-timed products behind the statistics (BenchmarkDotNet's warm-up call excluded)",
            c => GpuTimings.Get(c.Id).Length.ToString(CultureInfo.InvariantCulture), true),
        CaseColumn("TFLOP/s", "2*M*N*K / median GPU time; a 2:4 product is credited with the dense FLOPs",
            c => Format(c.Flops / GpuTimings.Median(c.Id) / 1e6, "F1"), true),
        CaseColumn("% peak", "TFLOP/s over the device's datasheet dense fp16 tensor-core peak (bf16's is the same on these GPUs; 2:4 can exceed 100%); NA for unknown devices",
            PercentOfPeak, true),
        CaseColumn("vs dense", "Median GPU time of the dense product this replaces over this one's (NA: shortcut and folded products have none)",
            SpeedupOverDense, true),
        CaseColumn("vs PyTorch", "PyTorch's median for the same product, tokens and dtype (bench/pytorch/products.py, same run) over this one's; above 1: faster here",
            SpeedupOverPyTorch, true),
        CaseColumn("Status", "ok, or why the case did not run (a cuSPARSELt layout the library lacks)", c => GemmResults.Status(c.Id), false),
    ];

    private static string PercentOfPeak(GemmCase c)
    {
        var device = GpuSession.Current?.Device;
        double? peak = device is null ? null : DevicePeaks.DenseFp16Tflops(device);
        if (peak is not double p)
            return "NA";
        return Format(100 * c.Flops / GpuTimings.Median(c.Id) / 1e6 / p, "F1");
    }

    private static string SpeedupOverDense(GemmCase c)
    {
        if (c.Variant == GemmVariant.Dense)
            return "1.00x";
        if (c.DenseReferenceId is null)
            return "NA";
        double ratio = GpuTimings.Median(c.DenseReferenceId) / GpuTimings.Median(c.Id);
        return double.IsFinite(ratio) ? $"{ratio:F2}x" : "NA";
    }

    private static string SpeedupOverPyTorch(GemmCase c)
    {
        if (PyTorchResults.Products is not { } pytorch)
            return "NA";
        var theirs = pytorch.Find(new ProductKey(c.Model, GemmCase.VariantLabel(c.Variant), c.Ops[0], c.Tokens, GemmCase.PrecisionLabel(c.Precision)));
        double ratio = theirs is null ? double.NaN : theirs.MedianMicroseconds / GpuTimings.Median(c.Id);
        return double.IsFinite(ratio) ? $"{ratio:F2}x" : "NA";
    }

    private static string Format(double value, string format) =>
        double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "NA";

    /// <summary>The <see cref="GemmCase"/> a benchmark case runs, or null for other suites.</summary>
    public static GemmCase? CaseOf(BenchmarkCase benchmarkCase) => SuiteColumn<GemmCase>.CaseOf(benchmarkCase);

    private static IColumn CaseColumn(string name, string legend, Func<GemmCase, string> value, bool numeric) =>
        new SuiteColumn<GemmCase>(name, legend, (_, c) => value(c), numeric);
}
