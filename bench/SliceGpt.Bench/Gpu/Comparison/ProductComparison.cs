using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu.Comparison;

/// <summary>One product of this engine next to the same product in another engine (PyTorch).</summary>
/// <param name="Ours">This engine's row.</param>
/// <param name="Theirs">The other engine's row for the same key, or null.</param>
internal sealed record ComparedProduct(ProductRow Ours, ProductRow? Theirs)
{
    /// <summary>Their median over ours: above 1 when this engine is faster; NaN when either is missing.</summary>
    public double Speedup => Theirs is null ? double.NaN : Theirs.MedianMicroseconds / Ours.MedianMicroseconds;
}

/// <summary>
/// Matches this engine's per-product rows with another engine's (PyTorch's <c>pytorch-products.csv</c>) on
/// (model, method, product, tokens, dtype), and sums the other engine's layer totals. The shapes must agree too: a row
/// whose key matches but whose shape does not is an error, since the two files then describe different models.
/// </summary>
internal sealed class ProductComparison
{
    private readonly Dictionary<ProductKey, ProductRow> _theirs;

    /// <summary>Indexes <paramref name="theirs"/>.</summary>
    /// <exception cref="BenchCsvException">Two of their rows have the same key.</exception>
    public ProductComparison(IEnumerable<ProductRow> theirs, string source)
    {
        Source = source;
        _theirs = [];
        foreach (var row in theirs)
        {
            if (!_theirs.TryAdd(row.Key, row))
                throw new BenchCsvException($"{source}: two rows for {row.Model} {row.Method} {row.Product} at {row.Tokens} tokens in {row.Dtype}");
        }
    }

    /// <summary>Where their rows came from (a file path), for messages and table notes.</summary>
    public string Source { get; }

    /// <summary>Rows of the other engine.</summary>
    public int Count => _theirs.Count;

    /// <summary>Their row for <paramref name="key"/>, if any.</summary>
    public ProductRow? Find(ProductKey key) => _theirs.GetValueOrDefault(key);

    /// <summary>Each of <paramref name="ours"/> with its match.</summary>
    /// <exception cref="BenchCsvException">A matched row has another shape.</exception>
    public IReadOnlyList<ComparedProduct> Compare(IEnumerable<ProductRow> ours) => ours.Select(o =>
    {
        var t = Find(o.Key);
        if (t is not null && (t.OutFeatures != o.OutFeatures || t.InFeatures != o.InFeatures))
            throw new BenchCsvException($"{Source}: {o.Model} {o.Method} {o.Product} is {t.OutFeatures}x{t.InFeatures} there but " +
                                        $"{o.OutFeatures}x{o.InFeatures} here: the two runs timed different shapes");
        return new ComparedProduct(o, t);
    }).ToList();

    /// <summary>
    /// Their total over the products of <paramref name="row"/> (shortcut matrices included, as <see cref="LayerTotal.TotalWithShortcuts"/>),
    /// in microseconds; NaN when a product is missing there.
    /// </summary>
    public double TotalOf(LayerTotal row)
    {
        string method = GemmCase.VariantLabel(row.Variant), dtype = GemmCase.PrecisionLabel(row.Precision);
        double total = 0;
        foreach (var p in row.Products)
        {
            if (Find(new ProductKey(row.Model, method, p.Gemm.Name, row.Tokens, dtype)) is not { } t)
                return double.NaN;
            total += t.MedianMicroseconds;
        }
        return total;
    }
}
