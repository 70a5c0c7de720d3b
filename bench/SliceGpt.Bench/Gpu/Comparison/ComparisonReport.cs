using System.Globalization;

namespace SliceGpt.Bench.Gpu.Comparison;

/// <summary>
/// <c>SliceGpt.Bench --compare-pytorch OURS THEIRS</c>: this engine's products CSV next to PyTorch's, product by product,
/// from the files alone (for runs whose tables were written before PyTorch's numbers existed).
/// </summary>
internal static class ComparisonReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The markdown table of <paramref name="compared"/>, grouped by tokens and dtype in the order the rows came.</summary>
    public static IEnumerable<string> Markdown(IReadOnlyList<ComparedProduct> compared, string ours, string theirs)
    {
        yield return "## Per-matmul products against PyTorch";
        yield return "";
        yield return $"This engine: {ours}. PyTorch: {theirs}. vs PyTorch = PyTorch's median / this engine's (above 1: this engine is faster).";
        foreach (var block in compared.GroupBy(c => (c.Ours.Tokens, c.Ours.Dtype)))
        {
            yield return "";
            yield return $"### {block.Key.Tokens} tokens, {block.Key.Dtype}";
            yield return "";
            yield return "| Model | Method | Product | out x in | this engine µs | PyTorch µs | vs PyTorch | PyTorch call |";
            yield return "|---|---|---|---|--:|--:|--:|---|";
            foreach (var c in block)
            {
                var o = c.Ours;
                yield return $"| {o.Model} | {o.Method} | {o.Product} | {o.OutFeatures}x{o.InFeatures} | {Us(o.MedianMicroseconds)} | " +
                             $"{Us(c.Theirs?.MedianMicroseconds ?? double.NaN)} | {X(c.Speedup)} | {c.Theirs?.Case ?? "not timed"} |";
            }
        }
        var ratios = compared.Select(c => c.Speedup).Where(double.IsFinite).ToList();
        yield return "";
        yield return ratios.Count == 0
            ? "No product was timed by both engines."
            : $"{ratios.Count} of {compared.Count} products timed by both; vs PyTorch from {X(ratios.Min())} to {X(ratios.Max())}, " +
              $"geometric mean {X(Math.Exp(ratios.Average(Math.Log)))}.";
    }

    private static string Us(double microseconds) => double.IsFinite(microseconds) ? microseconds.ToString("F1", Inv) : "NA";

    private static string X(double ratio) => double.IsFinite(ratio) ? ratio.ToString("F2", Inv) + "x" : "NA";
}
