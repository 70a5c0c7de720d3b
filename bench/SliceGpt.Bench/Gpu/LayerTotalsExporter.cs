using System.Globalization;
using System.Text;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using SliceGpt.Bench.Support;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Bench.Gpu;

/// <summary>What a <see cref="LayerTotalsExporter"/> writes.</summary>
internal enum LayerTotalsFormat
{
    /// <summary>The paper's Tables 12/13 as markdown, one table per family (<c>*-layer-totals.md</c>), also echoed to the console.</summary>
    Markdown,
    /// <summary>One CSV row per model and method (<c>*-layer-totals.csv</c>).</summary>
    TotalsCsv,
    /// <summary>One CSV row per model, method and layer product (<c>*-layer-products.csv</c>).</summary>
    ProductsCsv,
}

/// <summary>
/// Writes the per-layer totals of a GPU suite's summary into BenchmarkDotNet's results folder, beside its own reports,
/// so <c>docs/benchmarks.md</c> can include them. Runs in the process that timed the products (the suites are in-process).
/// </summary>
internal sealed class LayerTotalsExporter(LayerTotalsFormat format) : TextExporter($"SliceGpt.LayerTotals.{format}", Suffix(format),
    echo: format == LayerTotalsFormat.Markdown)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string Suffix(LayerTotalsFormat format) => format switch
    {
        LayerTotalsFormat.Markdown => "layer-totals.md",
        LayerTotalsFormat.TotalsCsv => "layer-totals.csv",
        _ => "layer-products.csv",
    };

    protected override IEnumerable<string> Render(Summary summary)
    {
        var cases = summary.BenchmarksCases.Select(GpuGemmColumns.CaseOf).OfType<GemmCase>().ToList();
        var rows = LayerTotal.Compute(cases);
        return format switch
        {
            LayerTotalsFormat.Markdown => Markdown(rows),
            LayerTotalsFormat.TotalsCsv => TotalsCsv(rows),
            _ => ProductsCsv(rows),
        };
    }

    private static IEnumerable<string> Markdown(IReadOnlyList<LayerTotal> rows)
    {
        yield return "## Per-layer matrix multiplications (paper appendix A.7, Tables 12-13 layout)";
        yield return "";
        yield return $"{DeviceLine()} {GemmSuite.Tokens} tokens (sequence 2048, batch 1); fp16 storage, fp32 accumulation. " +
                     "Each product: median of its CUDA-event GPU times, L2 flushed before every repetition. Times in ms; " +
                     "speedup = dense layer total / this total.";
        foreach (var family in rows.Select(r => r.Family).Distinct())
        {
            var familyRows = rows.Where(r => r.Family == family).ToList();
            var names = familyRows.First().Products.Where(p => !p.Gemm.IsShortcut).Select(p => p.Gemm.Name).ToList();
            yield return "";
            yield return family == ArchitectureFamily.Opt ? "### OPT (paper Table 13)" : "### LLAMA-2 (paper Table 12)";
            yield return "";
            yield return $"| Model | Method | d | {string.Join(" | ", names)} | Total (speedup) | Shortcuts | Total with shortcuts (speedup) |";
            yield return $"|---|---|--:|{string.Concat(names.Select(_ => "--:|"))}--:|--:|--:|";
            foreach (var r in familyRows)
            {
                var times = names.Select(n => Ms(r.Products.First(p => p.Gemm.Name == n).Microseconds));
                bool sliced = r.Products.Any(p => p.Gemm.IsShortcut);
                yield return $"| {r.Model} | {GemmCase.VariantLabel(r.Variant)} | {Width(r)} | {string.Join(" | ", times)} | " +
                             $"{Ms(r.Total)} ({X(r.Speedup)}) | {(sliced ? Ms(r.Shortcuts) : "-")} | {Ms(r.TotalWithShortcuts)} ({X(r.SpeedupWithShortcuts)}) |";
            }
        }
        yield return "";
        yield return "Notes. Products of equal shape are timed once and counted once each (q, k, v and o of a 7B layer are one " +
                     "measurement). d is the residual width the layer reads: SliceGPT's constant schedule (floor((1-s)D) rounded " +
                     "down to 8) from the engine's SlicingPlanner; sliced products shrink only that dimension. The shortcut " +
                     "matrices are the two d x d products x*S a sliced layer adds; the paper leaves them out of its totals. " +
                     "SparseGPT 2:4 runs the dense shapes on cuSPARSELt with the weight magnitude-pruned to 2:4 and " +
                     "compressed (the timing depends on the pattern only, not on how SparseGPT chooses it), default algorithm, " +
                     "no cusparseLtMatmulSearch. NA: a product did not run (see the log). The paper's Tables 12-13 were measured on an " +
                     "80 GB A100 (PyTorch for dense, cuSPARSELt 0.5 for 2:4, median of 10^3 runs), so compare speedups, not times.";
    }

    private static IEnumerable<string> TotalsCsv(IReadOnlyList<LayerTotal> rows)
    {
        yield return "model,method,d,total_ms,speedup,shortcuts_ms,total_with_shortcuts_ms,speedup_with_shortcuts,device";
        foreach (var r in rows)
            yield return string.Join(",", r.Model, Csv(GemmCase.VariantLabel(r.Variant)), Width(r), Num(r.Total / 1000),
                Num(r.Speedup), Num(r.Shortcuts / 1000), Num(r.TotalWithShortcuts / 1000), Num(r.SpeedupWithShortcuts), Csv(DeviceName()));
    }

    private static IEnumerable<string> ProductsCsv(IReadOnlyList<LayerTotal> rows)
    {
        yield return "model,method,product,tokens,out_features,in_features,median_us,p10_us,p90_us,samples,tflops,case";
        foreach (var r in rows)
        {
            foreach (var p in r.Products)
            {
                var samples = p.Case is null ? [] : GpuTimings.Get(p.Case.Id);
                yield return string.Join(",", r.Model, Csv(GemmCase.VariantLabel(r.Variant)), Csv(p.Gemm.Name), GemmSuite.Tokens,
                    p.Gemm.OutFeatures, p.Gemm.InFeatures, Num(p.Microseconds), Num(GpuTimings.Quantile(samples, 0.1)),
                    Num(GpuTimings.Quantile(samples, 0.9)), samples.Length, Num(p.Gemm.Flops(GemmSuite.Tokens) / p.Microseconds / 1e6),
                    Csv(p.Case?.Id ?? ""));
            }
        }
    }

    private static string Width(LayerTotal r) => r.Products.First().Gemm.InFeatures.ToString(Inv);

    private static string DeviceName() => GpuSession.Current?.Device.Name ?? "no GPU";

    private static string DeviceLine()
    {
        var gpu = GpuSession.Current;
        if (gpu is null)
            return "No GPU session ran in this process.";
        var d = gpu.Device;
        return $"Device: {d} with {d.L2CacheBytes >> 20} MiB L2 (flush: {gpu.Flush.SizeInBytes >> 20} MiB written per repetition); " +
               $"peak {DevicePeaks.Describe(d)}; cuBLAS {gpu.Blas.Version}.";
    }

    private static string Ms(double microseconds) => double.IsFinite(microseconds) ? (microseconds / 1000).ToString("F3", Inv) : "NA";

    private static string X(double ratio) => double.IsFinite(ratio) ? ratio.ToString("F2", Inv) + "x" : "NA";

    private static string Num(double value) => double.IsFinite(value) ? value.ToString("G6", Inv) : "NA";

    private static string Csv(string text) => text.Contains(',') || text.Contains('"') ? $"\"{text.Replace("\"", "\"\"")}\"" : text;
}
