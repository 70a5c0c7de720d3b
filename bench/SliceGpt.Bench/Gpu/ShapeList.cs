using System.Globalization;
using SliceGpt.Bench.Gpu.Comparison;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu;

/// <summary>
/// The per-matmul suites' products as a CSV (<c>SliceGpt.Bench --list-shapes smoke|full</c>), the one list both engines
/// time: <c>bench/pytorch/products.py</c> reads it, so PyTorch's shapes cannot drift from this suite's. One row per
/// product of one layer (model, method, product, tokens, dtype), the key both engines' products CSVs share; a 2:4
/// product is listed once however many cuSPARSELt setups this suite tries.
/// </summary>
internal static class ShapeList
{
    /// <summary>The columns: the products CSV's key and shape, the kind of product and how its weight is stored.</summary>
    public const string Header = "model,method,product,tokens,out_features,in_features,dtype,kind,weight";

    /// <summary>The suite a name selects: "smoke" or "full".</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static IReadOnlyList<GemmCase> Suite(string name) => name.ToLowerInvariant() switch
    {
        "smoke" => GemmSuite.Smoke,
        "full" => GemmSuite.Full,
        _ => throw new ArgumentException($"--list-shapes takes smoke or full, not \"{name}\""),
    };

    /// <summary>
    /// The lines for <paramref name="cases"/>: kind <c>dense</c> (cuBLAS) or <c>sparse24</c> (2:4 on cuSPARSELt); weight
    /// <c>out_in</c> (a projection: y = x·Wᵀ with W [out, in], F.linear's convention) or <c>in_out</c> (a shortcut matrix:
    /// y = x·S with S [in, out], as sliced checkpoints store it).
    /// </summary>
    public static IEnumerable<string> Lines(IReadOnlyList<GemmCase> cases)
    {
        yield return Header;
        var seen = new HashSet<ProductKey>();
        foreach (var c in cases)
        {
            foreach (var op in c.Ops)
            {
                var key = new ProductKey(c.Model, GemmCase.VariantLabel(c.Variant), op, c.Tokens, GemmCase.PrecisionLabel(c.Precision));
                if (!seen.Add(key))
                    continue;
                yield return string.Join(",", CsvTable.Field(key.Model), CsvTable.Field(key.Method), CsvTable.Field(op),
                    c.Tokens.ToString(CultureInfo.InvariantCulture), c.OutFeatures.ToString(CultureInfo.InvariantCulture),
                    c.InFeatures.ToString(CultureInfo.InvariantCulture), key.Dtype, c.IsSparse ? "sparse24" : "dense",
                    c.IsShortcut ? "in_out" : "out_in");
            }
        }
    }
}
