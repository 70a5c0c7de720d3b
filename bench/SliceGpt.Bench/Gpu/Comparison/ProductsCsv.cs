using System.Globalization;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu.Comparison;

/// <summary>
/// One row of a per-matmul products CSV: one product of one layer under one method, as this engine's suites write it
/// (<c>*-layer-products.csv</c>) and as <c>bench/pytorch/products.py</c> writes PyTorch's (<c>pytorch-products.csv</c>).
/// </summary>
/// <param name="Model">A name from <see cref="PublishedModels.Names"/>.</param>
/// <param name="Method">The variant's label (<see cref="GemmCase.VariantLabel"/>): "Dense", "SparseGPT 2:4", "SliceGPT (25%)" ...</param>
/// <param name="Product">The product's name in its family ("q", "gate", "fc1", "attn shortcut" ...).</param>
/// <param name="Tokens">Rows of X.</param>
/// <param name="OutFeatures">Columns of Y.</param>
/// <param name="InFeatures">The reduction length.</param>
/// <param name="MedianMicroseconds">Median GPU time (NaN when it did not run).</param>
/// <param name="P10Microseconds">10th percentile.</param>
/// <param name="P90Microseconds">90th percentile.</param>
/// <param name="Samples">Timed products behind the statistics.</param>
/// <param name="Tflops">2·tokens·out·in over the median.</param>
/// <param name="Case">What ran: this engine's case id, or PyTorch's call.</param>
/// <param name="Dtype">"fp16" or "bf16".</param>
internal sealed record ProductRow(string Model, string Method, string Product, int Tokens, int OutFeatures, int InFeatures,
    double MedianMicroseconds, double P10Microseconds, double P90Microseconds, int Samples, double Tflops, string Case, string Dtype)
{
    /// <summary>What rows of two engines are matched on.</summary>
    public ProductKey Key => new(Model, Method, Product, Tokens, Dtype);
}

/// <summary>The identity of a product across engines: model, method, product name, tokens and storage type.</summary>
internal readonly record struct ProductKey(string Model, string Method, string Product, int Tokens, string Dtype);

/// <summary>Writes and reads products CSVs (the format both engines share).</summary>
internal static class ProductsCsv
{
    /// <summary>
    /// The header: the columns of the first GPU run's <c>*-layer-products.csv</c> in their order, then <c>dtype</c> (added
    /// with the bf16 blocks). PyTorch's file has exactly these columns.
    /// </summary>
    public const string Header = "model,method,product,tokens,out_features,in_features,median_us,p10_us,p90_us,samples,tflops,case,dtype";

    private static readonly string[] Required = ["model", "method", "product", "tokens", "out_features", "in_features", "median_us"];

    /// <summary>The file's lines: the header, then one line per row.</summary>
    public static IEnumerable<string> Lines(IEnumerable<ProductRow> rows)
    {
        yield return Header;
        foreach (var r in rows)
            yield return string.Join(",", CsvTable.Field(r.Model), CsvTable.Field(r.Method), CsvTable.Field(r.Product),
                r.Tokens.ToString(CultureInfo.InvariantCulture), r.OutFeatures.ToString(CultureInfo.InvariantCulture),
                r.InFeatures.ToString(CultureInfo.InvariantCulture), CsvTable.Number(r.MedianMicroseconds), CsvTable.Number(r.P10Microseconds),
                CsvTable.Number(r.P90Microseconds), r.Samples.ToString(CultureInfo.InvariantCulture), CsvTable.Number(r.Tflops),
                CsvTable.Field(r.Case), CsvTable.Field(r.Dtype));
    }

    /// <summary>
    /// Reads a products CSV. Columns are found by name; a file without <c>dtype</c> (the first GPU run's) reads as fp16,
    /// which is all that run timed.
    /// </summary>
    /// <exception cref="BenchCsvException">A required column is missing or a field is malformed (the message names file, line and field).</exception>
    public static IReadOnlyList<ProductRow> Read(string path) => Parse(CsvTable.Read(path));

    /// <summary>As <see cref="Read"/>, from a parsed table.</summary>
    public static IReadOnlyList<ProductRow> Parse(CsvTable table)
    {
        table.Require(Required);
        var rows = new List<ProductRow>();
        foreach (var row in table.Rows)
        {
            string dtype = table.Has("dtype") ? table.Text(row, "dtype") : "fp16";
            if (GemmCase.ParsePrecision(dtype) is not { } precision)
                throw new BenchCsvException($"{table.File}, line {row.Line}, field dtype: \"{dtype}\" is neither fp16 nor bf16");
            rows.Add(new ProductRow(table.Text(row, "model"), table.Text(row, "method"), table.Text(row, "product"),
                table.Int(row, "tokens"), table.Int(row, "out_features"), table.Int(row, "in_features"),
                table.Number(row, "median_us"), table.Has("p10_us") ? table.Number(row, "p10_us") : double.NaN,
                table.Has("p90_us") ? table.Number(row, "p90_us") : double.NaN,
                table.Has("samples") ? table.Int(row, "samples") : 0, table.Has("tflops") ? table.Number(row, "tflops") : double.NaN,
                table.Text(row, "case"), GemmCase.PrecisionLabel(precision)));
        }
        return rows;
    }
}
