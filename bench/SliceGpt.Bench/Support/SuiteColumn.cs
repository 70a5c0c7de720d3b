using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace SliceGpt.Bench.Support;

/// <summary>
/// A summary column computed from a case parameter of type <typeparamref name="TCase"/> and the suite's own results,
/// never from BenchmarkDotNet's wall-clock statistics (the GPU suites hide those: they report CUDA-event times).
/// </summary>
internal sealed class SuiteColumn<TCase>(string name, string legend, Func<Summary, TCase, string> value, bool numeric) : IColumn
    where TCase : class
{
    private static int _order;
    private readonly int _priority = Interlocked.Increment(ref _order);

    public string Id => $"SliceGpt.{typeof(TCase).Name}.{name}";
    public string ColumnName => name;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => _priority;
    public bool IsNumeric => numeric;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => legend;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        CaseOf(benchmarkCase) is { } c ? value(summary, c) : "NA";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;

    /// <summary>The <typeparamref name="TCase"/> a benchmark case runs, or null for other suites.</summary>
    public static TCase? CaseOf(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters.Items.Select(p => p.Value).OfType<TCase>().FirstOrDefault();

    /// <summary>Every <typeparamref name="TCase"/> of a summary, in suite order.</summary>
    public static List<TCase> CasesOf(Summary summary) => summary.BenchmarksCases.Select(CaseOf).OfType<TCase>().ToList();
}
