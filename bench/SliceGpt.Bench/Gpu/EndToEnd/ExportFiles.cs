using System.Text;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>What the end-to-end exporters share: file naming, the device line, CSV quoting.</summary>
internal static class ExportFiles
{
    /// <summary>
    /// Writes <paramref name="lines"/> to <c>{suite class}-{suffix}</c> in the summary's results folder (named like
    /// BenchmarkDotNet's own reports, without a timestamp) and, when <paramref name="echo"/>, to the console.
    /// </summary>
    public static IEnumerable<string> Write(Summary summary, ILogger consoleLogger, string suffix, IReadOnlyList<string> lines, bool echo)
    {
        Directory.CreateDirectory(summary.ResultsDirectoryPath);
        var types = summary.BenchmarksCases.Select(b => b.Descriptor.Type.FullName).Distinct().ToList();
        var stem = types.Count == 1 ? types[0]! : summary.Title;
        var path = Path.Combine(summary.ResultsDirectoryPath, $"{stem}-{suffix}");
        File.WriteAllLines(path, lines, new UTF8Encoding(false));
        if (echo)
        {
            consoleLogger.WriteLine();
            foreach (var line in lines)
                consoleLogger.WriteLine(line);
        }
        return [path];
    }

    /// <summary>One sentence naming the GPU, its libraries and its datasheet bandwidth, or saying none ran.</summary>
    public static string DeviceLine() => EndToEndModels.Current is { } backend
        ? $"Device: {backend.Description}; {DeviceBandwidth.Describe(backend.Device)}."
        : "No GPU backend ran in this process.";

    /// <summary>The GPU's name for CSV rows.</summary>
    public static string DeviceName() => EndToEndModels.Current?.Device.Name ?? "no GPU";

    /// <summary>A CSV field, quoted when needed.</summary>
    public static string Csv(string text) => text.Contains(',') || text.Contains('"') ? $"\"{text.Replace("\"", "\"\"")}\"" : text;
}
