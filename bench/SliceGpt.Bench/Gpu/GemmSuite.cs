using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;

namespace SliceGpt.Bench.Gpu;

/// <summary>One block of a suite: the variants timed at one token count and precision, and the 2:4 setups tried.</summary>
/// <param name="Tokens">Rows of X.</param>
/// <param name="Precision">Storage type.</param>
/// <param name="Variants">The variants, in the paper's row order.</param>
/// <param name="SparseSetups">The cuSPARSELt setups each 2:4 product is timed in (one case per setup).</param>
internal sealed record GemmBlock(int Tokens, GemmPrecision Precision, IReadOnlyList<GemmVariant> Variants, IReadOnlyList<SparseSetup> SparseSetups);

/// <summary>
/// Which products the GPU suites time, derived from the published configs: for each model, block and variant, one
/// layer's products (<see cref="LayerGemms.Of"/>), products of equal shape timed once.
/// </summary>
internal static class GemmSuite
{
    /// <summary>Sequence length 2048 at batch 1, as the paper's appendix A.7.</summary>
    public const int PrefillTokens = 2048;

    /// <summary>Decode-shaped batches: one sequence, and 8, 32 and 128 sequences decoding together.</summary>
    public static IReadOnlyList<int> DecodeTokens { get; } = [1, 8, 32, 128];

    /// <summary>Every variant in the paper's row order, the folded ones last.</summary>
    public static IReadOnlyList<GemmVariant> Variants { get; } =
    [
        GemmVariant.Dense, GemmVariant.SparseGpt24, GemmVariant.Sliced25, GemmVariant.Sliced50,
        GemmVariant.Sliced25Folded, GemmVariant.Sliced50Folded,
    ];

    /// <summary>The variants of the decode-shaped and bf16 blocks: the paper's four.</summary>
    public static IReadOnlyList<GemmVariant> PaperVariants { get; } =
        [GemmVariant.Dense, GemmVariant.SparseGpt24, GemmVariant.Sliced25, GemmVariant.Sliced50];

    /// <summary>
    /// The 2:4 setup of every block but the first: a searched plan in the layout the first GPU run used. Replace it by the
    /// fastest layout once a run has measured <see cref="SparseSetups"/> (bench/SliceGpt.Bench/Gpu/README.md).
    /// </summary>
    public static SparseSetup PrimarySparse { get; } = new(SparseLtLayout.ColumnMajorTN, Search: true);

    /// <summary>
    /// The cuSPARSELt setups the prefill block tries for each 2:4 product (the README says why each): the first GPU run's
    /// setup as it was (default algorithm), then searched plans in seven layouts.
    /// </summary>
    public static IReadOnlyList<SparseSetup> SparseSetups { get; } =
    [
        new(SparseLtLayout.ColumnMajorTN, Search: false),
        PrimarySparse,
        new(new SparseLtLayout(SparseLtOperand.A, SparseLtOrder.Row, SparseLtOrder.Column, false), Search: true),
        new(SparseLtLayout.RowMajorWeightFirst, Search: true),
        new(new SparseLtLayout(SparseLtOperand.A, SparseLtOrder.Column, SparseLtOrder.Column, true), Search: true),
        new(new SparseLtLayout(SparseLtOperand.B, SparseLtOrder.Row, SparseLtOrder.Row, false), Search: true),
        new(new SparseLtLayout(SparseLtOperand.B, SparseLtOrder.Column, SparseLtOrder.Row, false), Search: true),
        new(new SparseLtLayout(SparseLtOperand.B, SparseLtOrder.Row, SparseLtOrder.Row, true), Search: true),
    ];

    /// <summary>The model the smoke suite times.</summary>
    public const string SmokeModel = "llama-2-7b";

    /// <summary>
    /// The blocks of both suites: 2048 tokens in fp16 with every variant and every 2:4 setup; the decode batches in fp16 and
    /// 2048 tokens in bf16 with the paper's variants and the primary 2:4 setup.
    /// </summary>
    public static IReadOnlyList<GemmBlock> Blocks { get; } =
    [
        new(PrefillTokens, GemmPrecision.Fp16, Variants, SparseSetups),
        .. DecodeTokens.Select(t => new GemmBlock(t, GemmPrecision.Fp16, PaperVariants, [PrimarySparse])),
        new(PrefillTokens, GemmPrecision.Bf16, PaperVariants, [PrimarySparse]),
    ];

    /// <summary>Every case of the full suite (all six models).</summary>
    public static IReadOnlyList<GemmCase> Full { get; } = CasesFor(PublishedModels.Names, Blocks);

    /// <summary>The smoke suite's cases: LLAMA-2 7B only.</summary>
    public static IReadOnlyList<GemmCase> Smoke { get; } = CasesFor([SmokeModel], Blocks);

    /// <summary>The variant's sparsity, or null for dense and 2:4.</summary>
    public static double? SlicingOf(GemmVariant variant) => variant switch
    {
        GemmVariant.Sliced25 or GemmVariant.Sliced25Folded => 0.25,
        GemmVariant.Sliced50 or GemmVariant.Sliced50Folded => 0.50,
        _ => null,
    };

    /// <summary>True for the variants whose shortcut matrices are folded into neighbouring products.</summary>
    public static bool IsFolded(GemmVariant variant) => variant is GemmVariant.Sliced25Folded or GemmVariant.Sliced50Folded;

    /// <summary>
    /// One layer's products of <paramref name="model"/> under <paramref name="variant"/>. Sliced variants use the widths
    /// <see cref="SlicingPlanner.ConstantWidths"/> gives layer 0 (every layer but the last: d in, d between, d out); dense
    /// and 2:4 use the dense layer, which has no shortcut matrices; folded variants fold them (<see cref="FoldShortcuts"/>).
    /// </summary>
    public static IReadOnlyList<LayerGemm> LayerProducts(string model, GemmVariant variant)
    {
        var config = PublishedModels.Config(model);
        if (SlicingOf(variant) is not double s)
            return LayerGemms.Of(config);
        var widths = SlicingPlanner.ConstantWidths(config, new SlicingOptions { Sparsity = s });
        var products = LayerGemms.Of(config, widths[0]);
        return IsFolded(variant) ? FoldShortcuts(products) : products;
    }

    /// <summary>
    /// A sequential sliced layer with each shortcut matrix appended to a neighbouring product's reduction: the attention
    /// output product reads [attention | x_in] (K = q width + d_in) against [W_o | S_attnᵀ], so it writes
    /// attention·W_oᵀ + x_in·S_attn at once; the down product reads [h | x_mid] (K = hidden + d_mid) against
    /// [W_down | S_mlpᵀ]. Same FLOPs as the separate products, fewer launches and no second pass over the output.
    /// </summary>
    /// <exception cref="NotSupportedException">The layer is not a sequential sliced layer with both shortcuts.</exception>
    public static IReadOnlyList<LayerGemm> FoldShortcuts(IReadOnlyList<LayerGemm> products)
    {
        var attention = products.SingleOrDefault(p => p.Role == LayerGemmRole.AttentionShortcut);
        var mlp = products.SingleOrDefault(p => p.Role == LayerGemmRole.MlpShortcut);
        if (attention is null || mlp is null)
            throw new NotSupportedException("folding needs a sequential sliced layer with both shortcut matrices");
        return products.Where(p => !p.IsShortcut).Select(p => p.Role switch
        {
            LayerGemmRole.AttentionOutput when p.OutFeatures == attention.OutFeatures => p with { InFeatures = p.InFeatures + attention.InFeatures },
            LayerGemmRole.Down when p.OutFeatures == mlp.OutFeatures => p with { InFeatures = p.InFeatures + mlp.InFeatures },
            LayerGemmRole.AttentionOutput or LayerGemmRole.Down => throw new NotSupportedException($"{p.Name}'s output width does not match its shortcut's"),
            _ => p,
        }).ToList();
    }

    /// <summary>
    /// The case among <paramref name="cases"/> that times <paramref name="gemm"/> of <paramref name="model"/> under
    /// <paramref name="variant"/> at <paramref name="tokens"/> and <paramref name="precision"/>; for 2:4, every setup's case.
    /// </summary>
    public static IEnumerable<GemmCase> CasesOf(IEnumerable<GemmCase> cases, string model, GemmVariant variant, int tokens,
        GemmPrecision precision, LayerGemm gemm) =>
        cases.Where(c => c.Model == model && c.Variant == variant && c.Tokens == tokens && c.Precision == precision && c.Ops.Contains(gemm.Name));

    /// <summary>The cases of <paramref name="models"/> under <paramref name="blocks"/>: model by model, block by block, variant by variant.</summary>
    public static IReadOnlyList<GemmCase> CasesFor(IEnumerable<string> models, IReadOnlyList<GemmBlock> blocks)
    {
        var cases = new List<GemmCase>();
        foreach (var model in models)
        {
            foreach (var block in blocks)
            {
                var dense = Group(model, GemmVariant.Dense, block, null, null).ToList();
                foreach (var variant in block.Variants)
                {
                    if (variant == GemmVariant.Dense)
                        cases.AddRange(dense);
                    else if (variant == GemmVariant.SparseGpt24)
                        cases.AddRange(block.SparseSetups.SelectMany(s => Group(model, variant, block, dense, s)));
                    else
                        cases.AddRange(Group(model, variant, block, dense, null));
                }
            }
        }
        return cases.Select((c, i) => c with { Order = i }).ToList();
    }

    private static IEnumerable<GemmCase> Group(string model, GemmVariant variant, GemmBlock block, IReadOnlyList<GemmCase>? dense,
        SparseSetup? sparse) =>
        LayerProducts(model, variant)
            .GroupBy(g => (g.OutFeatures, g.InFeatures, g.IsShortcut))
            .Select(group =>
            {
                var ops = group.Select(g => g.Name).ToArray();
                // A folded product has no dense counterpart of its shape; a shortcut has none at all.
                string? reference = group.Key.IsShortcut || IsFolded(variant) && !SameShapeAsSliced(model, variant, group.Key.InFeatures, ops[0])
                    ? null
                    : dense?.First(d => d.Ops.Contains(ops[0])).Id;
                return new GemmCase(model, variant, block.Tokens, block.Precision, group.Key.OutFeatures, group.Key.InFeatures,
                    group.Key.IsShortcut, ops, reference, sparse, 0);
            });

    // Folding changes only the attention output and down products; the others keep their sliced shape and dense reference.
    private static bool SameShapeAsSliced(string model, GemmVariant folded, int inFeatures, string op)
    {
        var plain = folded == GemmVariant.Sliced25Folded ? GemmVariant.Sliced25 : GemmVariant.Sliced50;
        return LayerProducts(model, plain).First(p => p.Name == op).InFeatures == inFeatures;
    }
}
