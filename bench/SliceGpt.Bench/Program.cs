using BenchmarkDotNet.Analysers;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using SliceGpt.Bench.Gpu;
using SliceGpt.Bench.Gpu.Comparison;
using SliceGpt.Bench.Gpu.EndToEnd;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench;

internal static class Program
{
    /// <summary>
    /// BenchmarkSwitcher over every suite. Pass BenchmarkDotNet's own <c>--inProcess</c> to run benchmarks in this
    /// process, which is what the self-contained bundle needs on a machine without the .NET SDK (BenchmarkDotNet cannot
    /// build a child project there); the GPU suites always run in-process. <c>--smoke</c> selects every GPU suite's short
    /// check (<see cref="BenchmarkSelection.SmokeFilters"/>: per-matmul, end-to-end, slicing time). When a GPU suite is
    /// selected and no GPU can be used, the run stops before BenchmarkDotNet starts, with one line saying why and exit
    /// code 2; a failed benchmark gives exit code 1. This program's own options, removed before BenchmarkDotNet sees the
    /// rest: <c>--pytorch DIR</c> (PyTorch's CSVs from the same run, for the vs PyTorch columns), and three modes that need no
    /// GPU: <c>--list-shapes smoke|full [--out FILE]</c> (the per-matmul products as CSV, for bench/pytorch/products.py),
    /// <c>--compare-pytorch OURS.csv PYTORCH.csv [--out FILE]</c> (a products CSV next to PyTorch's, as markdown) and
    /// <c>--serving-load</c> (the serving load test, <see cref="Serving.ServingLoad"/>).
    /// </summary>
    private static int Main(string[] args) => Run(args, Console.Out);

    /// <summary><see cref="Main"/> with its one-line messages written to <paramref name="output"/> (for the tests).</summary>
    internal static int Run(string[] args, TextWriter output)
    {
        if (args.Contains("--serving-load"))
            return Serving.ServingLoad.Run(args, output);
        ToolOptions tool;
        try
        {
            tool = ToolOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            output.WriteLine($"SliceGpt.Bench: {e.Message}");
            return 2;
        }
        if (tool.ListShapes is { } suite)
            return ToolModes.ListShapes(suite, tool.Out, output);
        if (tool.Compare is { } files)
            return ToolModes.ComparePyTorch(files.Ours, files.Theirs, tool.Out, output);
        if (tool.PyTorchDirectory is { } pytorch)
        {
            PyTorchResults.Directory = pytorch;
            if (!Directory.Exists(pytorch))
                output.WriteLine($"SliceGpt.Bench: warning: --pytorch {pytorch}: no such folder; the vs PyTorch columns will be NA");
        }
        var rest = tool.Rest.Where(a => a != "--smoke").ToList();
        if (args.Contains("--smoke"))
            rest.AddRange(["--filter", .. BenchmarkSelection.SmokeFilters]);
        bool gpu = BenchmarkSelection.SelectsGpuSuites(rest);
        if (gpu && !GpuPreflight.Run(output, BenchmarkSelection.SelectsEndToEndSuites(rest)))
            return 2;
        if (gpu)
            output.WriteLine($"SliceGpt.Bench: {PyTorchResults.Describe()}");
        var config = (gpu ? WithoutWallClockAdvice(DefaultConfig.Instance) : DefaultConfig.Instance).AddColumn(new TokensPerSecondColumn());
        try
        {
            var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.ToArray(), config).ToList();
            // Non-zero when a benchmark failed (a GPU case's correctness check, say), so a scripted run notices.
            return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
        }
        finally
        {
            EndToEndModels.DisposeAll();
            GpuSession.DisposeCurrent();
        }
    }

    // The GPU suites' calls are short in wall-clock terms by design (they report CUDA-event times), so BenchmarkDotNet's
    // advice to lengthen iterations to 100 ms would be one misleading warning per case.
    private static IConfig WithoutWallClockAdvice(IConfig config)
    {
        var result = ManualConfig.CreateEmpty()
            .AddLogger(config.GetLoggers().ToArray())
            .AddColumnProvider(config.GetColumnProviders().ToArray())
            .AddExporter(config.GetExporters().ToArray())
            .AddAnalyser(config.GetAnalysers().Where(a => a is not MinIterationTimeAnalyser).ToArray())
            .AddValidator(config.GetValidators().ToArray())
            .AddDiagnoser(config.GetDiagnosers().ToArray())
            .WithArtifactsPath(config.ArtifactsPath)
            .WithOptions(config.Options)
            .WithBuildTimeout(config.BuildTimeout);
        if (config.SummaryStyle is not null)
            result = result.WithSummaryStyle(config.SummaryStyle);
        if (config.Orderer is not null)
            result = result.WithOrderer(config.Orderer);
        return result;
    }
}
