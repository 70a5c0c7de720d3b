using System.Text.RegularExpressions;
using SliceGpt.Bench.Gpu;
using SliceGpt.Bench.Gpu.Comparison;
using SliceGpt.Bench.Gpu.EndToEnd;
using SliceGpt.Bench.Support;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Bench.Tests;

/// <summary>
/// Reading both engines' CSVs and merging them into the "vs PyTorch" columns, with fixture files in each engine's format
/// (Fixtures/: this engine's products export and PyTorch's scripts' outputs); the formats themselves are checked against
/// the Python scripts' constants, so the two sides cannot drift apart unnoticed.
/// </summary>
[NonParallelizable] // PyTorchResults and the timing stores are process-wide, as in the benchmark process
public class ComparisonTests
{
    private static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", name);

    [TearDown]
    public void ForgetPyTorch() => PyTorchResults.Reset();

    [Test]
    public void CsvFieldsMayHoldQuotedCommasAndQuotes()
    {
        var table = CsvTable.Parse("t.csv", ["a,b,c", "\"x, y\",\"say \"\"hi\"\"\",3"]);
        var row = table.Rows.Single();
        Assert.Multiple(() =>
        {
            Assert.That(table.Text(row, "a"), Is.EqualTo("x, y"));
            Assert.That(table.Text(row, "b"), Is.EqualTo("say \"hi\""));
            Assert.That(table.Int(row, "c"), Is.EqualTo(3));
            Assert.That(CsvTable.Field("x, y"), Is.EqualTo("\"x, y\""));
            Assert.That(CsvTable.Field("say \"hi\""), Is.EqualTo("\"say \"\"hi\"\"\""));
        });
    }

    [Test]
    public void BadCsvInputIsNamedByFileLineAndField()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<BenchCsvException>(() => CsvTable.Parse("t.csv", ["a,b", "1"]))!.Message,
                Is.EqualTo("t.csv, line 2: 1 fields, but the header has 2"));
            Assert.That(Assert.Throws<BenchCsvException>(() => CsvTable.Parse("t.csv", ["a", "\"open"]))!.Message,
                Does.Contain("line 2: unterminated quoted field"));
            Assert.That(Assert.Throws<BenchCsvException>(() => CsvTable.Parse("t.csv", []))!.Message, Does.Contain("empty"));
            var table = CsvTable.Parse("t.csv", ["tokens,median_us", "x,1.5"]);
            Assert.That(Assert.Throws<BenchCsvException>(() => table.Int(table.Rows[0], "tokens"))!.Message,
                Is.EqualTo("t.csv, line 2, field tokens: \"x\" is not an integer"));
            Assert.That(Assert.Throws<BenchCsvException>(() => ProductsCsv.Parse(table))!.Message,
                Does.Contain("missing columns model, method, product, out_features, in_features"));
        });
    }

    [Test]
    public void ProductsCsvRoundTripsWithNaAsNaN()
    {
        var rows = ProductsCsv.Read(Fixture("ours-layer-products.csv"));
        var again = ProductsCsv.Parse(CsvTable.Parse("again.csv", ProductsCsv.Lines(rows).ToList()));
        Assert.Multiple(() =>
        {
            Assert.That(rows, Has.Count.EqualTo(6));
            Assert.That(rows[3].Case, Does.Contain("[A=W(row,N) B=X(col,N) D(col)]"), "a quoted case with commas");
            Assert.That(rows[5].MedianMicroseconds, Is.NaN);
            Assert.That(rows[4].Dtype, Is.EqualTo("bf16"));
            Assert.That(again, Is.EqualTo(rows));
        });
    }

    [Test]
    public void TheFirstGpuRunsProductsReadAsFp16()
    {
        var file = Path.Combine(RepositoryRoot(), "docs", "gpu-runs", "2026-12-04-h200", "full", "SliceGpt.Bench.Gpu.GpuGemmBenchmarks-layer-products.csv");
        var rows = ProductsCsv.Read(file);
        Assert.Multiple(() =>
        {
            Assert.That(rows, Has.Count.EqualTo(6 * 7 + 6 * 7 + 6 * 9 + 6 * 9 - 3 * 4), "LLAMA rows have gate; OPT rows do not");
            Assert.That(rows.Select(r => r.Dtype).Distinct(), Is.EqualTo(new[] { "fp16" }));
            Assert.That(rows.First(r => r.Method == "SparseGPT 2:4").MedianMicroseconds, Is.EqualTo(168.64));
        });
    }

    [Test]
    public void ProductsMatchOnModelMethodProductTokensAndDtype()
    {
        var pytorch = new ProductComparison(ProductsCsv.Read(Fixture("pytorch-products.csv")), "pytorch-products.csv");
        var compared = pytorch.Compare(ProductsCsv.Read(Fixture("ours-layer-products.csv")));
        double Speedup(string method, string product, int tokens, string dtype) =>
            compared.Single(c => c.Ours.Method == method && c.Ours.Product == product && c.Ours.Tokens == tokens && c.Ours.Dtype == dtype).Speedup;
        Assert.Multiple(() =>
        {
            Assert.That(Speedup("Dense", "q", 2048, "fp16"), Is.EqualTo(99.0 / 90).Within(1e-12), "PyTorch slower: above 1");
            Assert.That(Speedup("Dense", "gate", 2048, "fp16"), Is.EqualTo(1.0));
            Assert.That(Speedup("Dense", "down", 2048, "fp16"), Is.NaN, "not timed by PyTorch");
            Assert.That(Speedup("SparseGPT 2:4", "q", 2048, "fp16"), Is.EqualTo(75.0 / 60).Within(1e-12));
            Assert.That(Speedup("Dense", "q", 2048, "bf16"), Is.EqualTo(1.0), "bf16 matched with bf16, not with fp16");
            Assert.That(Speedup("Dense", "q", 1, "fp16"), Is.NaN, "not timed here");
        });
    }

    [Test]
    public void ConflictingPyTorchRowsAreRefused()
    {
        var row = new ProductRow("llama-2-7b", "Dense", "q", 2048, 4096, 4096, 90, 89, 91, 50, 700, "x", "fp16");
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<BenchCsvException>(() => _ = new ProductComparison([row, row with { MedianMicroseconds = 1 }], "p.csv"))!.Message,
                Does.Contain("p.csv: two rows for llama-2-7b Dense q at 2048 tokens in fp16"));
            var other = new ProductComparison([row with { InFeatures = 5120 }], "p.csv");
            Assert.That(Assert.Throws<BenchCsvException>(() => other.Compare([row]))!.Message, Does.Contain("timed different shapes"));
        });
    }

    [Test]
    public void PyTorchsLayerTotalSumsItsProductsAndIsNaWhenOneIsMissing()
    {
        var products = GemmSuite.LayerProducts("llama-2-7b", GemmVariant.Dense).Select(g => new TimedProduct(g, null, 100)).ToList();
        var ours = new LayerTotal("llama-2-7b", GemmVariant.Dense, 2048, GemmPrecision.Fp16, ArchitectureFamily.Llama, products, 700);
        var theirs = products.Select((p, i) => new ProductRow("llama-2-7b", "Dense", p.Gemm.Name, 2048, p.Gemm.OutFeatures, p.Gemm.InFeatures,
            110 + i, double.NaN, double.NaN, 50, double.NaN, "torch.matmul fp16", "fp16")).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(new ProductComparison(theirs, "p").TotalOf(ours), Is.EqualTo(7 * 110 + 21));
            Assert.That(new ProductComparison(theirs.Skip(1), "p").TotalOf(ours), Is.NaN);
            Assert.That(new ProductComparison(theirs, "p").TotalOf(ours with { Precision = GemmPrecision.Bf16 }), Is.NaN);
        });
    }

    [Test]
    public void TheFastestCompletedPyTorchRunOfAMeasureCounts()
    {
        var full = EndToEndComparison.Read(Fixture("pytorch-prefill.csv"), Fixture("pytorch-decode.csv"));
        var timeout = EndToEndComparison.Read(Fixture("pytorch-decode-compile-timeout.csv"));
        Assert.Multiple(() =>
        {
            Assert.That(full.Rows, Has.Count.EqualTo(6));
            Assert.That(full.Best("prefill", 1, 128)!.TokensPerSecond, Is.EqualTo(8000));
            Assert.That(full.Best("prefill", 128, 128), Is.Null, "out of memory is not a result");
            Assert.That(full.Best("prefill", 1, 2048)!.MedianMs, Is.EqualTo(180));
            Assert.That(full.Best("decode", 1, 128)!.Engine, Does.Contain("torch.compile"));
            Assert.That(timeout.Best("decode", 1, 128)!.Engine, Does.Not.Contain("torch.compile"), "a compile past its budget is skipped");
        });
    }

    [Test]
    public void TheEndToEndTablesGainVsPyTorch()
    {
        var pytorch = EndToEndComparison.Read(Fixture("pytorch-prefill.csv"), Fixture("pytorch-decode.csv"));
        var cases = EndToEndSuite.Smoke;
        EndToEndRow Row(ModelVariant v, EndToEndKind k, int batch, double tokensPerSecond) =>
            new(cases.Single(c => c.Variant == v && c.Kind == k && c.Batch == batch && (k == EndToEndKind.Decode || c.Batch == batch)),
                10, 1000, 1000, 900, 1100, tokensPerSecond, 1, double.NaN, double.NaN, null);
        var rows = new List<EndToEndRow>
        {
            Row(ModelVariant.Dense, EndToEndKind.Prefill, 1, 14_000),
            Row(ModelVariant.Sliced25, EndToEndKind.Prefill, 1, 16_000),
            Row(ModelVariant.Dense, EndToEndKind.Prefill, 128, 20_000),
            Row(ModelVariant.Dense, EndToEndKind.Decode, 1, 100),
        };
        var markdown = string.Join("\n", EndToEndExporter.Markdown(rows, [], pytorch, "PyTorch results from fixtures."));
        var csv = EndToEndExporter.Csv(rows, pytorch).ToList();
        TestContext.Out.WriteLine(markdown);
        Assert.Multiple(() =>
        {
            Assert.That(EndToEndExporter.VersusPyTorch(rows[0], pytorch), Is.EqualTo(14_000.0 / 8000));
            Assert.That(EndToEndExporter.VersusPyTorch(rows[1], pytorch), Is.EqualTo(2.0), "sliced against dense PyTorch");
            Assert.That(EndToEndExporter.VersusPyTorch(rows[2], pytorch), Is.NaN, "PyTorch ran out of memory there");
            Assert.That(EndToEndExporter.VersusPyTorch(rows[3], pytorch), Is.EqualTo(100.0 / 80), "against torch.compile, the faster");
            Assert.That(markdown, Does.Contain("| 8,000 | 1.75x | 2.00x |"), "the batch-1 row's PyTorch cells");
            Assert.That(markdown, Does.Contain("| 12.500 | 1.25x | ok |"), "decode: PyTorch ms/token and the ratio");
            Assert.That(markdown, Does.Contain("### PyTorch in the same run"));
            Assert.That(markdown, Does.Contain("| prefill 1x2048 | transformers eager, SDPA"));
            Assert.That(markdown, Does.Contain("PyTorch results from fixtures."));
            Assert.That(csv[0], Does.EndWith(",pytorch_tokens_per_s,vs_pytorch,pytorch_engine"));
            Assert.That(csv[1], Does.Contain(",8000,1.75,\"transformers eager, SDPA"));
        });
    }

    [Test]
    public void PyTorchResultsComeFromTheGivenFolderAndReportUnreadableFiles()
    {
        var dir = Directory.CreateTempSubdirectory("slicegpt-pytorch-").FullName;
        try
        {
            PyTorchResults.Directory = dir;
            Assert.That(PyTorchResults.Products, Is.Null);
            Assert.That(PyTorchResults.Describe(), Does.Contain("No PyTorch results found"));
            File.Copy(Fixture("pytorch-products.csv"), Path.Combine(dir, PyTorchResults.ProductsFile));
            File.WriteAllText(Path.Combine(dir, PyTorchResults.DecodeFile), "kind,model\ndecode,Dense\n");
            PyTorchResults.Directory = dir; // reload
            Assert.Multiple(() =>
            {
                Assert.That(PyTorchResults.Products!.Count, Is.EqualTo(6));
                Assert.That(PyTorchResults.EndToEnd, Is.Null);
                Assert.That(PyTorchResults.Describe(), Does.Contain("6 products").And.Contain("Not read:").And.Contain("missing columns"));
            });
            PyTorchResults.Reset();
            Assert.That(PyTorchResults.Describe(), Does.StartWith("No PyTorch results were given"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void TheFormatsAreThoseThePythonScriptsWrite()
    {
        var python = File.ReadAllText(Path.Combine(RepositoryRoot(), "bench", "pytorch", "common.py"));
        string Constant(string name)
        {
            var match = Regex.Match(python, $@"^{name} = \(?((?:""[^""]*""\s*)+)\)?", RegexOptions.Multiline);
            Assert.That(match.Success, Is.True, $"{name} in common.py");
            return string.Concat(Regex.Matches(match.Groups[1].Value, "\"([^\"]*)\"").Select(m => m.Groups[1].Value));
        }
        Assert.Multiple(() =>
        {
            Assert.That(Constant("PRODUCTS_HEADER"), Is.EqualTo(ProductsCsv.Header));
            Assert.That(Constant("SHAPES_HEADER"), Is.EqualTo(ShapeList.Header));
            Assert.That(Constant("END_TO_END_HEADER"), Is.EqualTo(EndToEndComparison.Header));
            Assert.That(File.ReadLines(Fixture("pytorch-products.csv")).First(), Is.EqualTo(ProductsCsv.Header));
            Assert.That(File.ReadLines(Fixture("pytorch-prefill.csv")).First(), Is.EqualTo(EndToEndComparison.Header));
        });
    }

    [Test]
    public void ToolOptionsAreTakenOutBeforeBenchmarkDotNet()
    {
        var o = ToolOptions.Parse(["--pytorch", "/r", "--smoke", "--filter", "*Gemm*"]);
        Assert.Multiple(() =>
        {
            Assert.That(o.PyTorchDirectory, Is.EqualTo("/r"));
            Assert.That(o.Rest, Is.EqualTo(new[] { "--smoke", "--filter", "*Gemm*" }));
            Assert.That(ToolOptions.Parse(["--list-shapes", "full", "--out", "s.csv"]) is { ListShapes: "full", Out: "s.csv" }, Is.True);
            Assert.That(ToolOptions.Parse(["--compare-pytorch", "a.csv", "b.csv"]).Compare, Is.EqualTo(("a.csv", "b.csv")));
            Assert.Throws<ArgumentException>(() => ToolOptions.Parse(["--list-shapes"]));
            Assert.Throws<ArgumentException>(() => ToolOptions.Parse(["--compare-pytorch", "a.csv"]));
            Assert.Throws<ArgumentException>(() => ToolOptions.Parse(["--out", "x.csv", "--smoke"]));
            Assert.Throws<ArgumentException>(() => ToolOptions.Parse(["--list-shapes", "smoke", "--compare-pytorch", "a", "b"]));
        });
    }

    [Test]
    public void ListShapesWritesTheFileWholeAndNeedsNoGpu()
    {
        var dir = Directory.CreateTempSubdirectory("slicegpt-shapes-").FullName;
        try
        {
            var path = Path.Combine(dir, "shapes.csv");
            using var output = new StringWriter();
            Assert.That(Program.Run(["--list-shapes", "smoke", "--out", path], output), Is.EqualTo(0), output.ToString());
            Assert.That(File.ReadAllLines(path), Is.EqualTo(ShapeList.Lines(GemmSuite.Smoke).ToArray()));
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1), "no temporary left behind");
            using var bad = new StringWriter();
            Assert.That(Program.Run(["--list-shapes", "tiny"], bad), Is.EqualTo(2));
            Assert.That(bad.ToString().Trim(), Is.EqualTo("SliceGpt.Bench: --list-shapes takes smoke or full, not \"tiny\""));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void ComparePyTorchWritesTheProductTable()
    {
        using var output = new StringWriter();
        Assert.That(Program.Run(["--compare-pytorch", Fixture("ours-layer-products.csv"), Fixture("pytorch-products.csv")], output), Is.EqualTo(0));
        var text = output.ToString();
        TestContext.Out.WriteLine(text);
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain("### 2048 tokens, fp16"));
            Assert.That(text, Does.Contain("| llama-2-7b | Dense | q | 4096x4096 | 90.0 | 99.0 | 1.10x | torch.matmul fp16 |"));
            Assert.That(text, Does.Contain("| llama-2-7b | Dense | down | 4096x11008 | 240.0 | NA | NA | not timed |"));
            Assert.That(text, Does.Contain("4 of 6 products timed by both"));
        });
        using var missing = new StringWriter();
        Assert.That(Program.Run(["--compare-pytorch", Fixture("ours-layer-products.csv"), Fixture("nope.csv")], missing), Is.EqualTo(2));
        Assert.That(missing.ToString(), Does.StartWith("SliceGpt.Bench: ").And.Contain("nope.csv"));
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SliceGpt.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("the tests run outside the repository");
    }
}
