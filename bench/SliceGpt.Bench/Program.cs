using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench;

internal static class Program
{
    /// <summary>
    /// BenchmarkSwitcher over every suite. Pass BenchmarkDotNet's own <c>--inProcess</c> to run benchmarks in this
    /// process, which is what the self-contained bundle needs on a machine without the .NET SDK (BenchmarkDotNet
    /// cannot build a child project there).
    /// </summary>
    private static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, DefaultConfig.Instance.AddColumn(new TokensPerSecondColumn()));
}
