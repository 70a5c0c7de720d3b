using System.Text.RegularExpressions;
using SliceGpt.Bench.Gpu;
using SliceGpt.Bench.Gpu.EndToEnd;

namespace SliceGpt.Bench.Support;

/// <summary>Reads BenchmarkDotNet's <c>--filter</c> arguments ahead of it, to know whether a GPU suite will run.</summary>
internal static class BenchmarkSelection
{
    private static readonly string[] GemmBenchmarkNames =
    [
        $"{typeof(GpuGemmBenchmarks).FullName}.{nameof(GemmBenchmarkBase.Gemm)}",
        $"{typeof(GpuGemmSmokeBenchmarks).FullName}.{nameof(GemmBenchmarkBase.Gemm)}",
    ];

    // The suites that run the engine's CUDA backend (NVRTC-compiled kernels), not just cuBLAS.
    private static readonly string[] EndToEndBenchmarkNames =
    [
        $"{typeof(GpuEndToEndBenchmarks).FullName}.{nameof(EndToEndBenchmarkBase.Measure)}",
        $"{typeof(GpuEndToEndSmokeBenchmarks).FullName}.{nameof(EndToEndBenchmarkBase.Measure)}",
        $"{typeof(GpuSlicingTimeBenchmarks).FullName}.{nameof(SlicingTimeBenchmarkBase.Slice)}",
        $"{typeof(GpuSlicingTimeSmokeBenchmarks).FullName}.{nameof(SlicingTimeBenchmarkBase.Slice)}",
    ];

    /// <summary>The filters <c>--smoke</c> stands for: every GPU suite's smoke class.</summary>
    public static IReadOnlyList<string> SmokeFilters { get; } =
    [
        $"*{nameof(GpuGemmSmokeBenchmarks)}*", $"*{nameof(GpuEndToEndSmokeBenchmarks)}*", $"*{nameof(GpuSlicingTimeSmokeBenchmarks)}*",
    ];

    /// <summary>
    /// True when a <c>--filter</c>/<c>-f</c> glob matches a GPU benchmark's full name as BenchmarkDotNet's glob filter
    /// does (case-insensitive, <c>*</c> and <c>?</c>), and the command is not only listing or describing.
    /// </summary>
    public static bool SelectsGpuSuites(IReadOnlyList<string> args) => Selects(args, [.. GemmBenchmarkNames, .. EndToEndBenchmarkNames]);

    /// <summary>True when an end-to-end or slicing-time suite is selected (they need the engine's kernels, hence NVRTC).</summary>
    public static bool SelectsEndToEndSuites(IReadOnlyList<string> args) => Selects(args, EndToEndBenchmarkNames);

    private static bool Selects(IReadOnlyList<string> args, IReadOnlyList<string> names)
    {
        if (args.Any(a => a is "--list" or "--help" or "-h" or "--info" or "--version"))
            return false;
        return Filters(args).Any(pattern => names.Any(name => Glob(pattern).IsMatch(name)));
    }

    private static IEnumerable<string> Filters(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] is not ("--filter" or "-f"))
                continue;
            for (int j = i + 1; j < args.Count && !args[j].StartsWith('-'); j++)
                yield return args[j];
        }
    }

    private static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}
