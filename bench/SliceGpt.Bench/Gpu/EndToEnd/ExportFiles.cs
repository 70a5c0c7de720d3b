using System.Text;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>What the end-to-end exporters share: the device line and CSV quoting.</summary>
internal static class ExportFiles
{
    /// <summary>One sentence naming the GPU, its libraries and its datasheet bandwidth, or saying none ran.</summary>
    public static string DeviceLine() => EndToEndModels.Current is { } backend
        ? $"Device: {backend.Description}; {DeviceBandwidth.Describe(backend.Device)}."
        : "No GPU backend ran in this process.";

    /// <summary>The GPU's name for CSV rows.</summary>
    public static string DeviceName() => EndToEndModels.Current?.Device.Name ?? "no GPU";

    /// <summary>A CSV field, quoted when needed.</summary>
    public static string Csv(string text) => text.Contains(',') || text.Contains('"') ? $"\"{text.Replace("\"", "\"\"")}\"" : text;
}
