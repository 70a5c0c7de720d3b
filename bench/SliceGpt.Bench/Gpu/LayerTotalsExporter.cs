using System.Globalization;
using BenchmarkDotNet.Reports;
using SliceGpt.Bench.Gpu.Comparison;
using SliceGpt.Bench.Support;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Bench.Gpu;

/// <summary>What a <see cref="LayerTotalsExporter"/> writes.</summary>
internal enum LayerTotalsFormat
{
    /// <summary>The paper's Tables 12/13 as markdown per block, the 2:4 setups and PyTorch (<c>*-layer-totals.md</c>), also echoed to the console.</summary>
    Markdown,
    /// <summary>One CSV row per model, block and method (<c>*-layer-totals.csv</c>).</summary>
    TotalsCsv,
    /// <summary>One CSV row per model, block, method and layer product (<c>*-layer-products.csv</c>), PyTorch's format too.</summary>
    ProductsCsv,
    /// <summary>One CSV row per 2:4 case: each cuSPARSELt setup of each product (<c>*-sparse-setups.csv</c>).</summary>
    SparseSetupsCsv,
}

/// <summary>
/// Writes the per-layer totals of a GPU suite's summary into BenchmarkDotNet's results folder, beside its own reports,
/// so <c>docs/benchmarks.md</c> can include them. Runs in the process that timed the products (the suites are in-process).
/// </summary>
internal sealed class LayerTotalsExporter(LayerTotalsFormat format) : TextExporter($"SliceGpt.LayerTotals.{format}", Suffix(format),
    echo: format == LayerTotalsFormat.Markdown)
{
    private static string Suffix(LayerTotalsFormat format) => format switch
    {
        LayerTotalsFormat.Markdown => "layer-totals.md",
        LayerTotalsFormat.TotalsCsv => "layer-totals.csv",
        LayerTotalsFormat.SparseSetupsCsv => "sparse-setups.csv",
        _ => "layer-products.csv",
    };

    protected override IEnumerable<string> Render(Summary summary)
    {
        var cases = SuiteColumn<GemmCase>.CasesOf(summary);
        var pytorch = PyTorchResults.Products;
        return format switch
        {
            LayerTotalsFormat.Markdown => LayerTotalsReport.Markdown(cases, DeviceLine(), pytorch, PyTorchResults.Describe()),
            LayerTotalsFormat.TotalsCsv => LayerTotalsReport.TotalsCsv(cases, DeviceName(), pytorch),
            LayerTotalsFormat.SparseSetupsCsv => LayerTotalsReport.SparseSetupsCsv(cases),
            _ => ProductsCsv.Lines(LayerTotalsReport.Products(LayerTotal.Compute(cases))),
        };
    }

    private static string DeviceName() => GpuSession.Current?.Device.Name ?? "no GPU";

    private static string DeviceLine()
    {
        var gpu = GpuSession.Current;
        if (gpu is null)
            return "No GPU session ran in this process.";
        var d = gpu.Device;
        return $"Device: {d} with {d.L2CacheBytes >> 20} MiB L2 (flush: {gpu.Flush.SizeInBytes >> 20} MiB written per repetition); " +
               $"peak {DevicePeaks.Describe(d)}; cuBLAS {gpu.Blas.Version}{SparseLtVersion()}.";
    }

    private static string SparseLtVersion()
    {
        try
        {
            CudaLibraries.EnsureLoaded(CudaLibrary.CusparseLt);
            return $"; cuSPARSELt from {CudaLibraries.LoadedFrom(CudaLibrary.CusparseLt)}";
        }
        catch (CudaUnavailableException)
        {
            return "; no cuSPARSELt";
        }
    }
}

/// <summary>The per-matmul reports as pure functions of the cases, their timings and PyTorch's rows (testable without a GPU).</summary>
internal static class LayerTotalsReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Every product of every row, in this engine's products-CSV form.</summary>
    public static IEnumerable<ProductRow> Products(IReadOnlyList<LayerTotal> rows)
    {
        foreach (var r in rows)
        {
            foreach (var p in r.Products)
            {
                var samples = p.Case is null ? [] : GpuTimings.Get(p.Case.Id);
                yield return new ProductRow(r.Model, GemmCase.VariantLabel(r.Variant), p.Gemm.Name, r.Tokens, p.Gemm.OutFeatures,
                    p.Gemm.InFeatures, p.Microseconds, GpuTimings.Quantile(samples, 0.1), GpuTimings.Quantile(samples, 0.9), samples.Length,
                    p.Gemm.Flops(r.Tokens) / p.Microseconds / 1e6, p.Case?.Id ?? "", GemmCase.PrecisionLabel(r.Precision));
            }
        }
    }

    /// <summary>The markdown report.</summary>
    public static IEnumerable<string> Markdown(IReadOnlyList<GemmCase> cases, string deviceLine, ProductComparison? pytorch, string pytorchLine)
    {
        var rows = LayerTotal.Compute(cases);
        yield return "## Per-layer matrix multiplications (paper appendix A.7, Tables 12-13 layout)";
        yield return "";
        yield return $"{deviceLine} Each product: median of its CUDA-event GPU times, L2 flushed before every repetition, fp32 " +
                     $"accumulation. Speedup = dense layer total / this total. {pytorchLine}";
        foreach (var block in rows.GroupBy(r => (r.Tokens, r.Precision)))
        {
            string what = block.Key.Tokens == GemmSuite.PrefillTokens ? "2048 tokens (sequence 2048, batch 1)" : $"{block.Key.Tokens} tokens (decode batch {block.Key.Tokens})";
            // Decode-shaped products take microseconds: their tables say µs so that they do not read 0.000 ms.
            bool inMs = block.Key.Tokens >= 1024;
            string Time(double microseconds) => inMs ? Ms(microseconds) : Us(microseconds);
            foreach (var family in block.Select(r => r.Family).Distinct())
            {
                var familyRows = block.Where(r => r.Family == family).ToList();
                var names = familyRows.First().Products.Where(p => !p.Gemm.IsShortcut).Select(p => p.Gemm.Name).ToList();
                yield return "";
                yield return $"### {(family == ArchitectureFamily.Opt ? "OPT (paper Table 13)" : "LLAMA-2 (paper Table 12)")}: {what}, {GemmCase.PrecisionLabel(block.Key.Precision)}, times in {(inMs ? "ms" : "µs")}";
                yield return "";
                yield return $"| Model | Method | d | {string.Join(" | ", names)} | Total (speedup) | Shortcuts | Total with shortcuts (speedup) | PyTorch | vs PyTorch |";
                yield return $"|---|---|--:|{string.Concat(names.Select(_ => "--:|"))}--:|--:|--:|--:|--:|";
                foreach (var r in familyRows)
                {
                    var times = names.Select(n => Time(r.Products.First(p => p.Gemm.Name == n).Microseconds));
                    bool sliced = r.Products.Any(p => p.Gemm.IsShortcut);
                    double theirs = pytorch?.TotalOf(r) ?? double.NaN;
                    yield return $"| {r.Model} | {GemmCase.VariantLabel(r.Variant)} | {r.Width} | {string.Join(" | ", times)} | " +
                                 $"{Time(r.Total)} ({X(r.Speedup)}) | {(sliced ? Time(r.Shortcuts) : "-")} | {Time(r.TotalWithShortcuts)} ({X(r.SpeedupWithShortcuts)}) | " +
                                 $"{Time(theirs)} | {X(theirs / r.TotalWithShortcuts)} |";
                }
            }
        }
        foreach (var line in SparseSetupsMarkdown(cases))
            yield return line;
        yield return "";
        yield return "Notes. Products of equal shape are timed once and counted once each (q, k, v and o of a 7B layer are one " +
                     "measurement). d is the residual width the layer reads: SliceGPT's constant schedule (floor((1-s)D) rounded " +
                     "down to 8) from the engine's SlicingPlanner; sliced products shrink only that dimension. The shortcut " +
                     "matrices are the two d x d products x*S a sliced layer adds; the paper leaves them out of its totals. " +
                     "\"folded\": each shortcut appended to a neighbouring product as extra reduction length (the attention output " +
                     "product's K grows by d_in, the down product's by d_mid: the o and down columns show those larger products), " +
                     "so the layer has no separate shortcut products; it assumes the two inputs sit side by side in one buffer " +
                     "(no copy is timed). SparseGPT 2:4 runs the dense shapes on cuSPARSELt with the weight magnitude-pruned to 2:4 " +
                     "and compressed (the timing depends on the pattern only, not on how SparseGPT chooses it); each 2:4 product " +
                     "counts with the fastest cuSPARSELt setup timed for it (the 2:4 setups table lists them all). A decode batch " +
                     "of 1 is padded to 8 rows for cuSPARSELt (as PyTorch pads it); TFLOP/s count the real rows. PyTorch: the same " +
                     "shapes timed by bench/pytorch/products.py in the same run (torch.matmul / F.linear on cuBLAS; " +
                     "to_sparse_semi_structured on cuSPARSELt), same protocol; vs PyTorch = PyTorch total / this total (above 1: " +
                     "this engine is faster), shortcuts included. NA: a product did not run (see the log). The paper's " +
                     "Tables 12-13 were measured on an 80 GB A100 (PyTorch for dense, cuSPARSELt 0.5 for 2:4, median of 10^3 " +
                     "runs), so compare speedups, not times.";
    }

    /// <summary>The 2:4 setups table: every cuSPARSELt setup timed for a product, against dense and against the first setup.</summary>
    public static IEnumerable<string> SparseSetupsMarkdown(IReadOnlyList<GemmCase> cases)
    {
        var sparse = cases.Where(c => c.IsSparse).ToList();
        if (sparse.Count == 0)
            return [];
        var lines = new List<string>
        {
            "",
            "### cuSPARSELt 2:4 setups",
            "",
            "Each 2:4 product in every setup tried: layout (A and B of D = op(A)op(B), W the weight [out, in], Wt stored " +
            "[in, out], X the activations; each with its descriptor's order and op; D's order), searched with " +
            "cusparseLtMatmulSearch unless \"default alg\". vs dense: the dense product's median over this one's; vs first: " +
            "the first setup's (the first GPU run's) over this one's. The fastest setup of each product is the one the totals count.",
            "",
            "| Model | Products | Tokens | dtype | Setup | GPU µs (p10-p90) | vs dense | vs first | Algorithm | Status |",
            "|---|---|--:|---|---|--:|--:|--:|---|---|",
        };
        foreach (var product in sparse.GroupBy(c => (c.Model, Ops: string.Join(",", c.Ops), c.Tokens, c.Precision)))
        {
            var first = product.First();
            double firstMedian = GpuTimings.Median(first.Id);
            var fastest = product.Where(c => double.IsFinite(GpuTimings.Median(c.Id))).MinBy(c => GpuTimings.Median(c.Id));
            foreach (var c in product)
            {
                var samples = GpuTimings.Get(c.Id);
                double median = GpuTimings.Quantile(samples, 0.5);
                double vsDense = c.DenseReferenceId is null ? double.NaN : GpuTimings.Median(c.DenseReferenceId) / median;
                string status = GemmResults.Status(c.Id);
                if (status == "ok" && vsDense < 1)
                    status = $"slower than dense ({X(vsDense)})";
                lines.Add($"| {c.Model} | {product.Key.Ops} | {c.Tokens} | {GemmCase.PrecisionLabel(c.Precision)} | " +
                          $"{(c == fastest ? "**" + c.Sparse!.Name + "**" : c.Sparse!.Name)} | {Us(median)} ({Us(GpuTimings.Quantile(samples, 0.1))}-{Us(GpuTimings.Quantile(samples, 0.9))}) | " +
                          $"{X(vsDense)} | {X(firstMedian / median)} | {GemmResults.NoteOf(c.Id) ?? "-"} | {status} |");
            }
        }
        return lines;
    }

    /// <summary>The totals CSV: one row per model, block and method, with PyTorch's total when given.</summary>
    public static IEnumerable<string> TotalsCsv(IReadOnlyList<GemmCase> cases, string device, ProductComparison? pytorch)
    {
        yield return "model,method,tokens,dtype,d,total_ms,speedup,shortcuts_ms,total_with_shortcuts_ms,speedup_with_shortcuts," +
                     "pytorch_total_ms,vs_pytorch,device";
        foreach (var r in LayerTotal.Compute(cases))
        {
            double theirs = pytorch?.TotalOf(r) ?? double.NaN;
            yield return string.Join(",", CsvTable.Field(r.Model), CsvTable.Field(GemmCase.VariantLabel(r.Variant)), r.Tokens.ToString(Inv),
                GemmCase.PrecisionLabel(r.Precision), r.Width.ToString(Inv), CsvTable.Number(r.Total / 1000), CsvTable.Number(r.Speedup),
                CsvTable.Number(r.Shortcuts / 1000), CsvTable.Number(r.TotalWithShortcuts / 1000), CsvTable.Number(r.SpeedupWithShortcuts),
                CsvTable.Number(theirs / 1000), CsvTable.Number(theirs / r.TotalWithShortcuts), CsvTable.Field(device));
        }
    }

    /// <summary>The 2:4 setups CSV: one row per 2:4 case.</summary>
    public static IEnumerable<string> SparseSetupsCsv(IReadOnlyList<GemmCase> cases)
    {
        yield return "model,products,tokens,dtype,out_features,in_features,setup,median_us,p10_us,p90_us,samples,vs_dense,algorithm,status";
        foreach (var c in cases.Where(c => c.IsSparse))
        {
            var samples = GpuTimings.Get(c.Id);
            double median = GpuTimings.Quantile(samples, 0.5);
            double vsDense = c.DenseReferenceId is null ? double.NaN : GpuTimings.Median(c.DenseReferenceId) / median;
            yield return string.Join(",", CsvTable.Field(c.Model), CsvTable.Field(string.Join(",", c.Ops)), c.Tokens.ToString(Inv),
                GemmCase.PrecisionLabel(c.Precision), c.OutFeatures.ToString(Inv), c.InFeatures.ToString(Inv), CsvTable.Field(c.Sparse!.Name),
                CsvTable.Number(median), CsvTable.Number(GpuTimings.Quantile(samples, 0.1)), CsvTable.Number(GpuTimings.Quantile(samples, 0.9)),
                samples.Length.ToString(Inv), CsvTable.Number(vsDense), CsvTable.Field(GemmResults.NoteOf(c.Id) ?? ""),
                CsvTable.Field(GemmResults.Status(c.Id)));
        }
    }

    private static string Ms(double microseconds) => double.IsFinite(microseconds) ? (microseconds / 1000).ToString("F3", Inv) : "NA";

    private static string Us(double microseconds) => double.IsFinite(microseconds) ? microseconds.ToString("F1", Inv) : "NA";

    private static string X(double ratio) => double.IsFinite(ratio) ? ratio.ToString("F2", Inv) + "x" : "NA";
}
