using SliceGpt.Bench.Support;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;

namespace SliceGpt.Bench.Gpu;

/// <summary>One product of one layer with its measured median GPU time (NaN when its case did not run).</summary>
/// <param name="Gemm">The product.</param>
/// <param name="Case">The case that timed it (shared by the products of equal shape; for 2:4, the fastest setup's); null when none ran.</param>
/// <param name="Microseconds">The case's median GPU time.</param>
internal sealed record TimedProduct(LayerGemm Gemm, GemmCase? Case, double Microseconds);

/// <summary>
/// One row of the paper's Tables 12/13: a model and method at one token count and precision, its layer's products and
/// their sum, with and without the shortcut matrices (the paper leaves them out), and the speedup over the dense layer.
/// </summary>
/// <param name="Model">The model.</param>
/// <param name="Variant">The method.</param>
/// <param name="Tokens">Rows of X.</param>
/// <param name="Precision">Storage type.</param>
/// <param name="Family">The model's family (which products a layer has).</param>
/// <param name="Products">Every product of one layer, in forward order.</param>
/// <param name="DenseTotalMicroseconds">The dense layer's total at the same tokens and precision, the speedups' numerator (NaN when dense did not run).</param>
internal sealed record LayerTotal(string Model, GemmVariant Variant, int Tokens, GemmPrecision Precision, ArchitectureFamily Family,
    IReadOnlyList<TimedProduct> Products, double DenseTotalMicroseconds)
{
    /// <summary>Sum over the layer's products without the shortcut matrices, in microseconds (the paper's total).</summary>
    public double Total => LayerGemms.Total(Products.Select(p => p.Gemm), Time, includeShortcuts: false);

    /// <summary>Sum including the shortcut matrices (equal to <see cref="Total"/> for dense, 2:4 and folded layers).</summary>
    public double TotalWithShortcuts => LayerGemms.Total(Products.Select(p => p.Gemm), Time, includeShortcuts: true);

    /// <summary>The shortcut matrices' share, in microseconds.</summary>
    public double Shortcuts => TotalWithShortcuts - Total;

    /// <summary>Dense total over <see cref="Total"/>.</summary>
    public double Speedup => DenseTotalMicroseconds / Total;

    /// <summary>Dense total over <see cref="TotalWithShortcuts"/>: what a sliced layer really gains.</summary>
    public double SpeedupWithShortcuts => DenseTotalMicroseconds / TotalWithShortcuts;

    /// <summary>The residual width the layer reads (the first product's input).</summary>
    public int Width => Products[0].Gemm.InFeatures;

    private double Time(LayerGemm gemm) => Products.First(p => p.Gemm == gemm).Microseconds;

    /// <summary>
    /// The rows for every model, token count, precision and method among <paramref name="cases"/> (the cases a summary ran),
    /// in suite order. A product whose case is missing counts as NaN, so an incomplete row shows NA rather than a too-small
    /// total. A 2:4 product timed in several cuSPARSELt setups counts with its fastest (the setup is in the product's case).
    /// </summary>
    public static IReadOnlyList<LayerTotal> Compute(IReadOnlyList<GemmCase> cases, Func<string, double>? median = null)
    {
        median ??= GpuTimings.Median;
        var rows = new List<LayerTotal>();
        foreach (var group in cases.GroupBy(c => (c.Model, c.Tokens, c.Precision)))
        {
            var (model, tokens, precision) = group.Key;
            double dense = double.NaN;
            foreach (var variant in GemmSuite.Variants.Where(v => group.Any(c => c.Variant == v)))
            {
                var products = GemmSuite.LayerProducts(model, variant).Select(g =>
                {
                    var c = GemmSuite.CasesOf(group, model, variant, tokens, precision, g)
                        .Where(c => double.IsFinite(median(c.Id)))
                        .MinBy(c => median(c.Id));
                    return new TimedProduct(g, c, c is null ? double.NaN : median(c.Id));
                }).ToArray();
                var row = new LayerTotal(model, variant, tokens, precision, PublishedModels.Config(model).Family, products, dense);
                if (variant == GemmVariant.Dense)
                    row = row with { DenseTotalMicroseconds = dense = row.Total };
                rows.Add(row);
            }
        }
        return rows;
    }
}
