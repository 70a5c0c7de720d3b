using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench;

internal static class Program
{
    /// <summary>
    /// BenchmarkSwitcher over every suite. <c>--inprocess</c> runs benchmarks in this process, which is what the
    /// self-contained bundle needs on a machine without the .NET SDK (BenchmarkDotNet cannot build a child project there).
    /// </summary>
    private static void Main(string[] args)
    {
        bool inProcess = args.Contains("--inprocess");
        var config = DefaultConfig.Instance.AddColumn(new TokensPerSecondColumn());
        if (inProcess)
            config = config.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)).WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Where(a => a != "--inprocess").ToArray(), config);
    }
}
