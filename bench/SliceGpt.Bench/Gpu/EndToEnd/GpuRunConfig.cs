using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>
/// BenchmarkDotNet settings shared by the end-to-end suites, as <see cref="GpuGemmConfig"/> sets them for the
/// per-matmul ones: in-process (the CUDA-event times live in the process that owns the context, and the GPU machine has
/// no SDK), a fixed schedule (BenchmarkDotNet's pilot and overhead stages tune wall-clock timing, which these suites do
/// not report; the call count decides the device time a run costs), wall-clock statistics hidden.
/// </summary>
internal abstract class GpuRunConfig : ManualConfig
{
    protected GpuRunConfig(int warmupCalls, int iterations, IColumn[] columns, params IExporter[] exporters)
    {
        // A mutator modifies whatever job the command line chose (or the default job) instead of adding a second one.
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(warmupCalls)
            .WithIterationCount(iterations)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .AsMutator());
        AddColumn(columns);
        HideColumns(Column.Mean, Column.Error, Column.StdDev, Column.Median, Column.Min, Column.Max, Column.Q1, Column.Q3,
            Column.Ratio, Column.RatioSD, Column.OperationPerSecond, Column.Method, "Case", "tokens/s");
        AddExporter(exporters);
        SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(60);
    }
}

/// <summary>
/// The prefill and decode suites: no BenchmarkDotNet warm-up call, because each case's setup already ran its work once
/// (the correctness check doubles as the warm-up), and a 1024 × 128 forward of a dense 7B model takes seconds.
/// </summary>
internal abstract class EndToEndConfig(int iterations) : GpuRunConfig(WarmupCalls, iterations, EndToEndColumns.All,
    new EndToEndExporter(EndToEndFormat.Markdown), new EndToEndExporter(EndToEndFormat.Csv))
{
    /// <summary>BenchmarkDotNet warm-up calls per case (dropped from the samples when non-zero).</summary>
    public const int WarmupCalls = 0;

    /// <summary>The full suite: 3 measured calls per case.</summary>
    internal sealed class Full() : EndToEndConfig(iterations: 3);

    /// <summary>The smoke suite: 2 measured calls per case.</summary>
    internal sealed class Smoke() : EndToEndConfig(iterations: 2);
}

/// <summary>
/// The slicing-time suites: the slicing runs once, in the case's setup, timed by a stopwatch and the pipeline's progress
/// callback (minutes of work; BenchmarkDotNet's repeated calls do not fit it), so the one call it schedules is empty.
/// </summary>
internal sealed class SlicingTimeConfig() : GpuRunConfig(0, 1, SlicingTimeColumns.All,
    new SlicingTimeExporter(EndToEndFormat.Markdown), new SlicingTimeExporter(EndToEndFormat.Csv));
