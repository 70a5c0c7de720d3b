using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using SliceGpt.Bench.Gpu;
using SliceGpt.Bench.Gpu.Comparison;
using SliceGpt.Bench.Gpu.EndToEnd;
using SliceGpt.Bench.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Bench.Tests;

/// <summary>
/// The per-matmul smoke suite through BenchmarkDotNet in-process, exactly as on the GPU machine, with the GPU work replaced
/// by fakes of known speed and PyTorch's CSV written from the suite's own shape list, as products.py would: this checks the
/// schedule, the skip path of a layout cuSPARSELt lacks, the choice of the fastest 2:4 setup, folding, the per-block
/// exports, the vs PyTorch merge and that this engine's products CSV reads back. The numbers are the fakes', so nothing
/// here can pass for a GPU measurement.
/// </summary>
[NonParallelizable]
public class GemmPlumbingTests
{
    // Fake speeds in TFLOP/s: dense 700; 2:4 per setup (the first run's setup as measured, 0.55x dense; the primary 1.2x
    // dense; one layout "not implemented"; the rest at dense speed).
    private const double DenseTflops = 700;
    private static readonly SparseSetup Missing = GemmSuite.SparseSetups[^1];

    private string _artifacts = "";

    [SetUp]
    public void CreateArtifacts() => _artifacts = Directory.CreateTempSubdirectory("slicegpt-gemm-tests-").FullName;

    [TearDown]
    public void DeleteArtifacts()
    {
        PyTorchResults.Reset();
        foreach (var c in GemmSuite.Smoke)
            GemmResults.Reset(c.Id);
        Directory.Delete(_artifacts, recursive: true);
    }

    [Test]
    public void SmokeSuite_TimesEveryCase_CountsTheFastestTwoFourSetup_AndMergesPyTorch()
    {
        // PyTorch "ran" every listed product 1.1x slower than the fake dense speed.
        var pytorchDir = Path.Combine(_artifacts, "pytorch");
        Directory.CreateDirectory(pytorchDir);
        File.WriteAllLines(Path.Combine(pytorchDir, PyTorchResults.ProductsFile), PyTorchProducts());
        PyTorchResults.Directory = pytorchDir;
        var saved = GemmWorkloads.Create;
        GemmWorkloads.Create = (c, repetitions) => c.Sparse == Missing
            ? throw new CaseSkippedException("cuSPARSELt does not implement this layout for this shape: CUSPARSE_STATUS_NOT_SUPPORTED")
            : new FakeWorkload(Microseconds(c));
        try
        {
            var summary = BenchmarkRunner.Run<GpuGemmSmokeBenchmarks>(Config());
            Assert.That(summary.Reports.Where(r => !r.Success).Select(r => r.BenchmarkCase.DisplayInfo), Is.Empty);
            foreach (var c in GemmSuite.Smoke)
            {
                // The smoke schedule: 2 measured calls of 25 products, after 1 warm-up call whose times are dropped.
                int expected = c.Sparse == Missing ? 0 : 2 * GemmBenchmarkBase.RepetitionsPerCall;
                Assert.That(GpuTimings.Get(c.Id), Has.Length.EqualTo(expected), c.Id);
            }
            var stem = Path.Combine(summary.ResultsDirectoryPath, typeof(GpuGemmSmokeBenchmarks).FullName!);
            var markdown = File.ReadAllText(stem + "-layer-totals.md");
            var totals = File.ReadAllLines(stem + "-layer-totals.csv");
            var products = ProductsCsv.Read(stem + "-layer-products.csv");
            var setups = File.ReadAllLines(stem + "-sparse-setups.csv");
            TestContext.Out.WriteLine(markdown);
            double denseTotal = GemmSuite.LayerProducts("llama-2-7b", GemmVariant.Dense).Sum(g => g.Flops(2048)) / DenseTflops / 1e6;
            Assert.Multiple(() =>
            {
                Assert.That(markdown, Does.Contain("### LLAMA-2 (paper Table 12): 2048 tokens (sequence 2048, batch 1), fp16, times in ms"));
                Assert.That(markdown, Does.Contain("### LLAMA-2 (paper Table 12): 1 tokens (decode batch 1), fp16, times in µs"));
                Assert.That(markdown, Does.Contain("### LLAMA-2 (paper Table 12): 2048 tokens (sequence 2048, batch 1), bf16, times in ms"));
                // The 2:4 row counts each product's fastest setup: the primary one, 1.2x dense.
                Assert.That(markdown.Split('\n').Count(l => l.StartsWith("| llama-2-7b | SparseGPT 2:4 | 4096 |", StringComparison.Ordinal)
                    && l.Contains(" (1.20x) | - | ", StringComparison.Ordinal)), Is.EqualTo(6), "every block's 2:4 row");
                Assert.That(totals.Single(l => l.StartsWith("llama-2-7b,SparseGPT 2:4,2048,fp16,", StringComparison.Ordinal)).Split(',')[6],
                    Is.EqualTo("1.2"));
                Assert.That(totals.Single(l => l.StartsWith("llama-2-7b,Dense,2048,fp16,", StringComparison.Ordinal)).Split(',')[5],
                    Is.EqualTo(CsvTable.Number(denseTotal / 1000)));
                // Folded layers equal the sliced layers with shortcuts at equal speed: the FLOPs are the same.
                Assert.That(Column(totals, "SliceGPT (25%) folded,2048,fp16", 8), Is.EqualTo(Column(totals, "SliceGPT (25%),2048,fp16", 8)));
                // PyTorch is 1.1x slower on every product: vs PyTorch 1.1 for dense, sliced and folded rows alike.
                Assert.That(Column(totals, "Dense,2048,fp16", 11), Is.EqualTo("1.1"));
                Assert.That(Column(totals, "SliceGPT (50%),8,fp16", 11), Is.EqualTo("1.1"));
                Assert.That(Column(totals, "SparseGPT 2:4,2048,bf16", 11), Is.EqualTo("1.32"), "PyTorch's 2:4 ran at the fake dense speed");
                Assert.That(setups.Count(l => l.Contains("CUSPARSE_STATUS_NOT_SUPPORTED")), Is.EqualTo(3), "one skipped layout per 2:4 shape");
                Assert.That(setups.Count(l => l.Contains("default alg") && l.EndsWith(",ok", StringComparison.Ordinal)), Is.EqualTo(3));
                Assert.That(markdown, Does.Contain("slower than dense (0.55x)"));
                Assert.That(products.Select(p => p.Dtype).Distinct(), Is.EquivalentTo(new[] { "fp16", "bf16" }));
                Assert.That(products.Select(p => p.Tokens).Distinct(), Is.EquivalentTo(new[] { 2048, 1, 8, 32, 128 }));
                Assert.That(products.Where(p => p.Method == "SparseGPT 2:4" && p.Tokens == 2048 && p.Dtype == "fp16").Select(p => p.Case),
                    Is.All.Contain($"[{GemmSuite.PrimarySparse.Name}]"), "the product names the setup that counted");
                Assert.That(Columns(summary), Does.Contain("vs PyTorch").And.Contain("2:4 setup").And.Contain("dtype").And.Not.Contain("Mean"));
            });
        }
        finally
        {
            GemmWorkloads.Create = saved;
        }
    }

    private static string Column(string[] totals, string methodTokensDtype, int index) =>
        totals.Single(l => l.StartsWith($"llama-2-7b,{methodTokensDtype},", StringComparison.Ordinal)).Split(',')[index];

    private static double Microseconds(GemmCase c)
    {
        double tflops = c.Sparse switch
        {
            null => DenseTflops,
            { Search: false } => 0.55 * DenseTflops,
            var s when s == GemmSuite.PrimarySparse => 1.2 * DenseTflops,
            _ => DenseTflops,
        };
        return c.Flops / tflops / 1e6;
    }

    // What products.py would write for the smoke suite's shape list: each product 1.1x slower than the fake dense speed.
    private static IEnumerable<string> PyTorchProducts()
    {
        var rows = ShapeList.Lines(GemmSuite.Smoke).Skip(1).Select(line => CsvTable.Parse("shapes", [ShapeList.Header, line]))
            .Select(t => (Table: t, Row: t.Rows[0]))
            .Select(x => new ProductRow(x.Table.Text(x.Row, "model"), x.Table.Text(x.Row, "method"), x.Table.Text(x.Row, "product"),
                x.Table.Int(x.Row, "tokens"), x.Table.Int(x.Row, "out_features"), x.Table.Int(x.Row, "in_features"),
                1.1 * 2.0 * x.Table.Int(x.Row, "tokens") * x.Table.Int(x.Row, "out_features") * x.Table.Int(x.Row, "in_features") / DenseTflops / 1e6,
                double.NaN, double.NaN, 50, double.NaN, "fake", x.Table.Text(x.Row, "dtype")));
        return ProductsCsv.Lines(rows);
    }

    private IConfig Config() => ManualConfig.CreateEmpty()
        .AddLogger(new AccumulationLogger())
        .AddColumnProvider(DefaultColumnProviders.Instance)
        .WithArtifactsPath(_artifacts)
        .WithOptions(ConfigOptions.DisableOptimizationsValidator);

    private static string Columns(Summary summary) =>
        string.Join("|", summary.Table.Columns.Where(c => c.NeedToShow).Select(c => c.Header));

    private sealed class FakeWorkload(double microseconds) : IGemmWorkload
    {
        public void TimeRepetitions(Span<double> samples) => samples.Fill(microseconds);

        public void Dispose()
        {
        }
    }
}
