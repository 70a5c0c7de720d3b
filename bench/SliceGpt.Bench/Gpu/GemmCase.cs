namespace SliceGpt.Bench.Gpu;

/// <summary>The model variants of the paper's Tables 12 and 13.</summary>
public enum GemmVariant
{
    /// <summary>The dense model on cuBLAS.</summary>
    Dense,
    /// <summary>SparseGPT 2:4: the dense shapes with the weight pruned to 2:4 and compressed, on cuSPARSELt.</summary>
    SparseGpt24,
    /// <summary>SliceGPT at 25% slicing: smaller dense products on cuBLAS.</summary>
    Sliced25,
    /// <summary>SliceGPT at 50% slicing.</summary>
    Sliced50,
}

/// <summary>
/// One timed product: Y[<see cref="Tokens"/>, <see cref="OutFeatures"/>] = X[<see cref="Tokens"/>, <see cref="InFeatures"/>]·W,
/// fp16 in and out with fp32 accumulation, for every layer product of <see cref="Model"/> under <see cref="Variant"/> that
/// has this shape (<see cref="Ops"/>: q, k, v and o of LLAMA-2 7B are one product, timed once).
/// </summary>
/// <param name="Model">A name from <see cref="PublishedModels.Names"/>.</param>
/// <param name="Variant">Dense, 2:4 or sliced.</param>
/// <param name="Tokens">Rows of X (the paper: sequence length 2048, batch 1).</param>
/// <param name="OutFeatures">Columns of Y.</param>
/// <param name="InFeatures">The reduction length.</param>
/// <param name="IsShortcut">A sliced layer's shortcut matrix, stored [in, out] (x·S) rather than [out, in] (x·Wᵀ).</param>
/// <param name="Ops">The layer products of this shape, in forward order.</param>
/// <param name="DenseReferenceId">The <see cref="Id"/> of the dense case that runs the same products; null for dense cases and shortcuts.</param>
/// <param name="Order">Position in its suite; BenchmarkDotNet runs and lists parameter values in their sort order.</param>
public sealed record GemmCase(string Model, GemmVariant Variant, int Tokens, int OutFeatures, int InFeatures, bool IsShortcut,
    IReadOnlyList<string> Ops, string? DenseReferenceId, int Order) : IComparable<GemmCase>, IComparable
{
    /// <summary>A unique, stable name: model, variant and products.</summary>
    public string Id => $"{Model} {VariantLabel(Variant)} {string.Join(",", Ops)}";

    /// <summary>True when the product runs on cuSPARSELt's 2:4 sparse tensor cores.</summary>
    public bool IsSparse => Variant == GemmVariant.SparseGpt24;

    /// <summary>Multiply-adds times two, as dense: a 2:4 product is credited with the dense product's FLOPs (NVIDIA's convention for sparse TFLOP/s).</summary>
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
        _ => variant.ToString(),
    };

    /// <inheritdoc/>
    public override string ToString() => Id;

    /// <summary>Suite order: model, variant, then forward order within the layer.</summary>
    public int CompareTo(GemmCase? other) => other is null ? 1 : Order.CompareTo(other.Order);

    /// <inheritdoc/>
    public int CompareTo(object? obj) => CompareTo(obj as GemmCase);
}
