using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace SliceGpt.Bench.Gpu;

/// <summary>
/// BenchmarkDotNet settings of the GPU suites. In-process always: the CUDA-event times live in the process that owns
/// the context (and the GPU machine has no SDK to build a child process). A fixed schedule instead of BenchmarkDotNet's
/// adaptive one: its pilot and overhead stages tune wall-clock timing, which these suites do not report, and the
/// repetition count decides the device time a run costs.
/// </summary>
internal abstract class GpuGemmConfig : ManualConfig
{
    /// <summary>BenchmarkDotNet warm-up calls per case (the products were already warmed up in setup); their times are dropped.</summary>
    public const int WarmupCalls = 1;

    private GpuGemmConfig(int iterations)
    {
        // A mutator modifies whatever job the command line chose (or the default job) instead of adding a second one.
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(WarmupCalls)
            .WithIterationCount(iterations)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .AsMutator());
        AddColumn(GpuGemmColumns.All);
        // BenchmarkDotNet's statistics are wall-clock times of a call (queueing, flushes and the wait included): hidden so
        // that only the CUDA-event columns report time. "Case" repeats Model/Variant/Products, "Method" is always Gemm, and
        // tokens/s belongs to the CPU suites.
        HideColumns(Column.Mean, Column.Error, Column.StdDev, Column.Median, Column.Min, Column.Max, Column.Q1, Column.Q3,
            Column.Ratio, Column.RatioSD, Column.OperationPerSecond, Column.Method, "Case", "tokens/s");
        AddExporter(new LayerTotalsExporter(LayerTotalsFormat.Markdown), new LayerTotalsExporter(LayerTotalsFormat.TotalsCsv),
            new LayerTotalsExporter(LayerTotalsFormat.ProductsCsv), new LayerTotalsExporter(LayerTotalsFormat.SparseSetupsCsv));
        SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(60);
    }

    /// <summary>The full suite: 8 measured calls of 25 products per case, 200 samples (the paper took medians of 10^3).</summary>
    internal sealed class Full() : GpuGemmConfig(iterations: 8);

    /// <summary>The smoke suite: 2 measured calls per case, 50 samples.</summary>
    internal sealed class Smoke() : GpuGemmConfig(iterations: 2);
}
