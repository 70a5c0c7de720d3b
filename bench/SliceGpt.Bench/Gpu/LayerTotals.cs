using SliceGpt.Bench.Support;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;

namespace SliceGpt.Bench.Gpu;

/// <summary>One product of one layer with its measured median GPU time (NaN when its case did not run).</summary>
/// <param name="Gemm">The product.</param>
/// <param name="Case">The case that timed it (shared by the products of equal shape); null when none ran.</param>
/// <param name="Microseconds">The case's median GPU time.</param>
internal sealed record TimedProduct(LayerGemm Gemm, GemmCase? Case, double Microseconds);

/// <summary>
/// One row of the paper's Tables 12/13: a model and method, its layer's products and their sum, with and without the
/// shortcut matrices (the paper leaves them out), and the speedup over the dense layer.
/// </summary>
/// <param name="Model">The model.</param>
/// <param name="Variant">The method.</param>
/// <param name="Family">The model's family (which products a layer has).</param>
/// <param name="Products">Every product of one layer, in forward order.</param>
/// <param name="DenseTotalMicroseconds">The dense layer's total, the speedups' numerator (NaN when dense did not run).</param>
internal sealed record LayerTotal(string Model, GemmVariant Variant, ArchitectureFamily Family, IReadOnlyList<TimedProduct> Products,
    double DenseTotalMicroseconds)
{
    /// <summary>Sum over the layer's products without the shortcut matrices, in microseconds (the paper's total).</summary>
    public double Total => LayerGemms.Total(Products.Select(p => p.Gemm), Time, includeShortcuts: false);

    /// <summary>Sum including the shortcut matrices (equal to <see cref="Total"/> for dense and 2:4 layers).</summary>
    public double TotalWithShortcuts => LayerGemms.Total(Products.Select(p => p.Gemm), Time, includeShortcuts: true);

    /// <summary>The shortcut matrices' share, in microseconds.</summary>
    public double Shortcuts => TotalWithShortcuts - Total;

    /// <summary>Dense total over <see cref="Total"/>.</summary>
    public double Speedup => DenseTotalMicroseconds / Total;

    /// <summary>Dense total over <see cref="TotalWithShortcuts"/>: what a sliced layer really gains.</summary>
    public double SpeedupWithShortcuts => DenseTotalMicroseconds / TotalWithShortcuts;

    private double Time(LayerGemm gemm) => Products.First(p => p.Gemm == gemm).Microseconds;

    /// <summary>
    /// The rows for every model and method among <paramref name="cases"/> (the cases a summary ran), in the paper's order.
    /// A product whose case is missing counts as NaN, so an incomplete row shows NA rather than a too-small total.
    /// </summary>
    public static IReadOnlyList<LayerTotal> Compute(IReadOnlyList<GemmCase> cases)
    {
        var rows = new List<LayerTotal>();
        foreach (var model in cases.Select(c => c.Model).Distinct())
        {
            double dense = double.NaN;
            foreach (var variant in GemmSuite.Variants.Where(v => cases.Any(c => c.Model == model && c.Variant == v)))
            {
                var products = GemmSuite.LayerProducts(model, variant).Select(g =>
                {
                    var c = GemmSuite.CaseOf(cases, model, variant, g);
                    return new TimedProduct(g, c, c is null ? double.NaN : GpuTimings.Median(c.Id));
                }).ToArray();
                var row = new LayerTotal(model, variant, PublishedModels.Config(model).Family, products, dense);
                if (variant == GemmVariant.Dense)
                    row = row with { DenseTotalMicroseconds = dense = row.Total };
                rows.Add(row);
            }
        }
        return rows;
    }
}
