using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;

namespace SliceGpt.Bench.Gpu;

/// <summary>
/// Which products the GPU suites time, derived from the published configs: for each model and variant, one layer's
/// products (<see cref="LayerGemms.Of"/>) at <see cref="Tokens"/> tokens, products of equal shape timed once.
/// </summary>
internal static class GemmSuite
{
    /// <summary>Sequence length 2048 at batch 1, as the paper's appendix A.7.</summary>
    public const int Tokens = 2048;

    /// <summary>The variants in the paper's row order.</summary>
    public static IReadOnlyList<GemmVariant> Variants { get; } =
        [GemmVariant.Dense, GemmVariant.SparseGpt24, GemmVariant.Sliced25, GemmVariant.Sliced50];

    /// <summary>The model the smoke suite times, all four variants: small enough for well under a minute.</summary>
    public const string SmokeModel = "llama-2-7b";

    /// <summary>Every case of the full suite (all six models).</summary>
    public static IReadOnlyList<GemmCase> Full { get; } = CasesFor(PublishedModels.Names);

    /// <summary>The smoke suite's cases.</summary>
    public static IReadOnlyList<GemmCase> Smoke { get; } = CasesFor([SmokeModel]);

    /// <summary>
    /// One layer's products of <paramref name="model"/> under <paramref name="variant"/>. Sliced variants use the widths
    /// <see cref="SlicingPlanner.ConstantWidths"/> gives layer 0 (every layer but the last: d in, d between, d out); dense
    /// and 2:4 use the dense layer, which has no shortcut matrices.
    /// </summary>
    public static IReadOnlyList<LayerGemm> LayerProducts(string model, GemmVariant variant)
    {
        var config = PublishedModels.Config(model);
        double? sparsity = variant switch
        {
            GemmVariant.Sliced25 => 0.25,
            GemmVariant.Sliced50 => 0.50,
            _ => null,
        };
        if (sparsity is not double s)
            return LayerGemms.Of(config);
        var widths = SlicingPlanner.ConstantWidths(config, new SlicingOptions { Sparsity = s });
        return LayerGemms.Of(config, widths[0]);
    }

    /// <summary>The case among <paramref name="cases"/> that times <paramref name="gemm"/> of <paramref name="model"/> under <paramref name="variant"/>, if any.</summary>
    public static GemmCase? CaseOf(IEnumerable<GemmCase> cases, string model, GemmVariant variant, LayerGemm gemm) =>
        cases.FirstOrDefault(c => c.Model == model && c.Variant == variant && c.Ops.Contains(gemm.Name));

    /// <summary>The cases of <paramref name="models"/>, variant by variant, in forward order within a layer.</summary>
    public static IReadOnlyList<GemmCase> CasesFor(IEnumerable<string> models)
    {
        var cases = new List<GemmCase>();
        foreach (var model in models)
        {
            var dense = Group(model, GemmVariant.Dense, null).ToList();
            cases.AddRange(dense);
            foreach (var variant in Variants.Skip(1))
                cases.AddRange(Group(model, variant, dense));
        }
        return cases.Select((c, i) => c with { Order = i }).ToList();
    }

    private static IEnumerable<GemmCase> Group(string model, GemmVariant variant, IReadOnlyList<GemmCase>? dense) =>
        LayerProducts(model, variant)
            .GroupBy(g => (g.OutFeatures, g.InFeatures, g.IsShortcut))
            .Select(group =>
            {
                var ops = group.Select(g => g.Name).ToArray();
                string? reference = group.Key.IsShortcut ? null : dense?.First(d => d.Ops.Contains(ops[0])).Id;
                return new GemmCase(model, variant, Tokens, group.Key.OutFeatures, group.Key.InFeatures, group.Key.IsShortcut, ops, reference, 0);
            });
}
