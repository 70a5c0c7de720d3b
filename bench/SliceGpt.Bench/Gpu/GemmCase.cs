using SliceGpt.Native.Cuda;

namespace SliceGpt.Bench.Gpu;

/// <summary>The model variants of the paper's Tables 12 and 13, and the shortcut-folded sliced layers.</summary>
public enum GemmVariant
{
    /// <summary>The dense model on cuBLAS.</summary>
    Dense,
    /// <summary>SparseGPT 2:4: the dense shapes with the weight pruned to 2:4 and compressed, on cuSPARSELt.</summary>
    SparseGpt24,
    /// <summary>SliceGPT at 25% slicing: smaller dense products on cuBLAS, plus the shortcut matrices.</summary>
    Sliced25,
    /// <summary>SliceGPT at 50% slicing.</summary>
    Sliced50,
    /// <summary>
    /// SliceGPT at 25% with each shortcut matrix folded into a neighbouring product as extra reduction length: the
    /// attention shortcut [d_in, d_mid] into the attention output product (K += d_in), the MLP shortcut [d_mid, d_out] into
    /// the down product (K += d_mid). The layer has no separate shortcut products.
    /// </summary>
    Sliced25Folded,
    /// <summary>As <see cref="Sliced25Folded"/> at 50%.</summary>
    Sliced50Folded,
}

/// <summary>Storage type of a product's operands (accumulation is fp32 either way).</summary>
public enum GemmPrecision
{
    /// <summary>IEEE half.</summary>
    Fp16,
    /// <summary>bfloat16.</summary>
    Bf16,
}

/// <summary>How a 2:4 case runs on cuSPARSELt: the layout, and whether the plan is searched or left at the default algorithm.</summary>
/// <param name="Layout">How Y = X·Wᵀ is posed to cuSPARSELt.</param>
/// <param name="Search">True: <c>cusparseLtMatmulSearch</c> picks the configuration (once per shape, cached); false: the default algorithm.</param>
public sealed record SparseSetup(SparseLtLayout Layout, bool Search)
{
    /// <summary>The layout's name, with "default alg" when not searched.</summary>
    public string Name => Search ? Layout.Name : $"{Layout.Name} default alg";

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// One timed product: Y[<see cref="Tokens"/>, <see cref="OutFeatures"/>] = X[<see cref="Tokens"/>, <see cref="InFeatures"/>]·W in
/// <see cref="Precision"/> with fp32 accumulation, for every layer product of <see cref="Model"/> under <see cref="Variant"/>
/// that has this shape (<see cref="Ops"/>: q, k, v and o of LLAMA-2 7B are one product, timed once).
/// </summary>
/// <param name="Model">A name from <see cref="PublishedModels.Names"/>.</param>
/// <param name="Variant">Dense, 2:4, sliced or sliced with folded shortcuts.</param>
/// <param name="Tokens">Rows of X: 2048 (the paper's sequence 2048, batch 1), or a decode batch (1, 8, 32, 128).</param>
/// <param name="Precision">fp16 or bf16 storage.</param>
/// <param name="OutFeatures">Columns of Y.</param>
/// <param name="InFeatures">The reduction length.</param>
/// <param name="IsShortcut">A sliced layer's shortcut matrix, stored [in, out] (x·S) rather than [out, in] (x·Wᵀ).</param>
/// <param name="Ops">The layer products of this shape, in forward order.</param>
/// <param name="DenseReferenceId">The <see cref="Id"/> of the dense case with the same products, tokens and precision; null for dense cases, shortcuts and folded products.</param>
/// <param name="Sparse">For 2:4 cases, how cuSPARSELt runs it; null otherwise.</param>
/// <param name="Order">Position in its suite; BenchmarkDotNet runs and lists parameter values in their sort order.</param>
public sealed record GemmCase(string Model, GemmVariant Variant, int Tokens, GemmPrecision Precision, int OutFeatures, int InFeatures,
    bool IsShortcut, IReadOnlyList<string> Ops, string? DenseReferenceId, SparseSetup? Sparse, int Order) : IComparable<GemmCase>, IComparable
{
    /// <summary>A unique, stable name: model, variant, products, tokens, precision and (2:4) the cuSPARSELt setup.</summary>
    public string Id => $"{Model} {VariantLabel(Variant)} {string.Join(",", Ops)} {Tokens}t {PrecisionLabel(Precision)}"
                        + (Sparse is { } s ? $" [{s.Name}]" : "");

    /// <summary>True when the product runs on cuSPARSELt's 2:4 sparse tensor cores.</summary>
    public bool IsSparse => Variant == GemmVariant.SparseGpt24;

    /// <summary>
    /// Rows the GPU multiplies: the tokens, except that cuSPARSELt's dense operand needs a multiple of
    /// <see cref="SparseLtProblem.RowMultiple"/> rows, so a 2:4 decode batch of 1 is padded to 8 (as PyTorch pads it).
    /// </summary>
    public int Rows => IsSparse ? (Tokens + SparseLtProblem.RowMultiple - 1) / SparseLtProblem.RowMultiple * SparseLtProblem.RowMultiple : Tokens;

    /// <summary>Multiply-adds times two over the real tokens (padding rows earn nothing); a 2:4 product is credited with the dense product's FLOPs (NVIDIA's convention for sparse TFLOP/s).</summary>
    public double Flops => 2.0 * Tokens * OutFeatures * InFeatures;

    /// <summary>The shape as M×N×K of the row-major product (tokens × out × in).</summary>
    public string Shape => $"{Tokens}x{OutFeatures}x{InFeatures}";

    /// <summary>The paper's name of a variant.</summary>
    public static string VariantLabel(GemmVariant variant) => variant switch
    {
        GemmVariant.Dense => "Dense",
        GemmVariant.SparseGpt24 => "SparseGPT 2:4",
        GemmVariant.Sliced25 => "SliceGPT (25%)",
        GemmVariant.Sliced50 => "SliceGPT (50%)",
        GemmVariant.Sliced25Folded => "SliceGPT (25%) folded",
        GemmVariant.Sliced50Folded => "SliceGPT (50%) folded",
        _ => variant.ToString(),
    };

    /// <summary>"fp16" or "bf16".</summary>
    public static string PrecisionLabel(GemmPrecision precision) => precision == GemmPrecision.Bf16 ? "bf16" : "fp16";

    /// <summary>The precision named by <paramref name="label"/> ("fp16"/"bf16", any case), or null.</summary>
    public static GemmPrecision? ParsePrecision(string label) => label.Trim().ToLowerInvariant() switch
    {
        "fp16" or "float16" or "half" => GemmPrecision.Fp16,
        "bf16" or "bfloat16" => GemmPrecision.Bf16,
        _ => null,
    };

    /// <inheritdoc/>
    public override string ToString() => Id;

    /// <summary>Suite order.</summary>
    public int CompareTo(GemmCase? other) => other is null ? 1 : Order.CompareTo(other.Order);

    /// <inheritdoc/>
    public int CompareTo(object? obj) => CompareTo(obj as GemmCase);
}
