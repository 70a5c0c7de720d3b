using System.Text;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;

namespace SliceGpt.Bench.Support;

/// <summary>
/// An exporter whose output is lines of text rendered from a run's summary: written to
/// <c>{suite class}-{suffix}</c> in BenchmarkDotNet's results folder (named like its own reports, without a timestamp, so
/// a later run replaces them and docs/benchmarks.md can link a fixed name) and, when <paramref name="echo"/>, printed.
/// </summary>
internal abstract class TextExporter(string name, string suffix, bool echo) : IExporter
{
    /// <inheritdoc/>
    public string Name => name;

    /// <summary>The lines of the export.</summary>
    protected abstract IEnumerable<string> Render(Summary summary);

    /// <inheritdoc/>
    public void ExportToLog(Summary summary, ILogger logger)
    {
        foreach (var line in Render(summary))
            logger.WriteLine(line);
    }

    /// <inheritdoc/>
    public IEnumerable<string> ExportToFiles(Summary summary, ILogger consoleLogger)
    {
        var lines = Render(summary).ToList();
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
}
