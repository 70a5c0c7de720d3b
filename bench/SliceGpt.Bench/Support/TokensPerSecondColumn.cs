using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace SliceGpt.Bench.Support;

/// <summary>A benchmark's tokens per second: its <c>Tokens</c> parameter (or property) over the mean time.</summary>
internal sealed class TokensPerSecondColumn : IColumn
{
    public string Id => nameof(TokensPerSecondColumn);
    public string ColumnName => "tokens/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Tokens processed per second (tokens per operation / mean time)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is null)
            return "NA";
        var instance = Activator.CreateInstance(benchmarkCase.Descriptor.Type) as ITokenCount;
        if (instance is null)
            return "NA";
        foreach (var p in benchmarkCase.Parameters.Items)
            benchmarkCase.Descriptor.Type.GetProperty(p.Name)?.SetValue(instance, p.Value);
        double seconds = report.ResultStatistics.Mean / 1e9;
        return (instance.TokensPerOperation / seconds).ToString("N0");
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
}

/// <summary>A benchmark class that knows how many tokens one operation processes, given its parameters.</summary>
internal interface ITokenCount
{
    long TokensPerOperation { get; }
}
