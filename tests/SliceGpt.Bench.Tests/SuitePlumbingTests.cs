using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using SliceGpt.Bench.Gpu.EndToEnd;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Tests;

/// <summary>
/// The end-to-end and slicing-time suites run through BenchmarkDotNet in-process, exactly as on the GPU machine, with
/// the GPU work replaced by fakes that produce known samples: this checks the schedule (how many calls are recorded),
/// the skip path, the columns and the files the exporters write, which the GPU session then need not debug.
/// The numbers are the fakes', so nothing here can pass for a GPU measurement.
/// </summary>
[NonParallelizable]
public class SuitePlumbingTests
{
    private string _artifacts = "";

    [SetUp]
    public void CreateArtifacts() => _artifacts = Directory.CreateTempSubdirectory("slicegpt-bench-tests-").FullName;

    [TearDown]
    public void DeleteArtifacts() => Directory.Delete(_artifacts, recursive: true);

    [Test]
    public void EndToEndSmokeSuite_RecordsTwoCallsPerCase_SkipsWhatDoesNotFit_AndExportsTheTables()
    {
        var skipped = EndToEndSuite.Smoke.Single(c => c.Variant == ModelVariant.Sliced50 && c.Batch == 128);
        var saved = EndToEndWorkloads.Create;
        EndToEndWorkloads.Create = c => c == skipped ? throw new CaseSkippedException("out of memory: fake") : new FakeWorkload(c);
        try
        {
            var summary = BenchmarkRunner.Run<GpuEndToEndSmokeBenchmarks>(Config());
            Assert.That(summary.Reports.Where(r => !r.Success).Select(r => r.BenchmarkCase.DisplayInfo), Is.Empty);
            foreach (var c in EndToEndSuite.Smoke)
            {
                // The smoke schedule is 2 measured calls and no BenchmarkDotNet warm-up: exactly 2 calls' samples.
                int expected = c == skipped ? 0 : 2 * c.SamplesPerCall;
                Assert.That(GpuTimings.Get(c.Id), Has.Length.EqualTo(expected), c.Id);
            }
            var stem = Path.Combine(summary.ResultsDirectoryPath, typeof(GpuEndToEndSmokeBenchmarks).FullName!);
            var markdown = File.ReadAllText(stem + "-end-to-end.md");
            var csv = File.ReadAllLines(stem + "-end-to-end.csv");
            TestContext.Out.WriteLine(markdown);
            TestContext.Out.WriteLine(string.Join("\n", csv));
            Assert.Multiple(() =>
            {
                Assert.That(markdown, Does.Contain("### Prefill throughput, sequence length 128"));
                Assert.That(markdown, Does.Contain("| 128 | 128,000 (1.00x) | 160,000 (1.25x) | OOM |"), "batch 128 at 1 ms per sequence, 25% 1.25x faster");
                Assert.That(markdown, Does.Contain("| best | 128,000 at batch 1 |"), "the fake's throughput does not grow with the batch");
                Assert.That(markdown, Does.Contain("| SliceGPT (50%) | 1.500 |"), "decode: 3 ms / 2");
                Assert.That(csv, Has.Length.EqualTo(1 + EndToEndSuite.Smoke.Count));
                Assert.That(csv.Count(l => l.Contains("out of memory: fake")), Is.EqualTo(1));
                Assert.That(Columns(summary), Does.Contain("GPU tokens/s").And.Contain("% HBM peak").And.Not.Contain("Mean"));
            });
        }
        finally
        {
            EndToEndWorkloads.Create = saved;
            foreach (var c in EndToEndSuite.Smoke)
                EndToEndResults.Reset(c.Id);
        }
    }

    [Test]
    public void SlicingTimeSmokeSuite_RunsOncePerCase_AndExportsTheExtrapolation()
    {
        var saved = SlicingTimeSuite.Runner;
        int runs = 0;
        SlicingTimeSuite.Runner = c =>
        {
            runs++;
            return new SlicingTimeResult(c, 1.5, SlicingPhases.From([(-1, 6.0), (0, 9.0), (1, 12.0)], 14.0, c.Layers), "completed");
        };
        try
        {
            var summary = BenchmarkRunner.Run<GpuSlicingTimeSmokeBenchmarks>(Config());
            var stem = Path.Combine(summary.ResultsDirectoryPath, typeof(GpuSlicingTimeSmokeBenchmarks).FullName!);
            var markdown = File.ReadAllText(stem + "-slicing-time.md");
            TestContext.Out.WriteLine(markdown);
            Assert.Multiple(() =>
            {
                Assert.That(summary.Reports.All(r => r.Success), Is.True);
                Assert.That(runs, Is.EqualTo(1), "the slicing runs once, in the setup");
                // 14 s measured + 30 layers × 3 s = 104 s = 1.7 min.
                Assert.That(markdown, Does.Contain("| 2 | 128x2048 | 14.0 | 6.0 | 3.0 (3.0-3.0) | 2.0 | 1.7 (extrapolated) | - | 1.5 | completed |"));
                Assert.That(File.ReadAllLines(stem + "-slicing-time.csv"), Has.Length.EqualTo(2));
            });
        }
        finally
        {
            SlicingTimeSuite.Runner = saved;
            SlicingTimeSuite.Results.Clear();
        }
    }

    private IConfig Config() => ManualConfig.CreateEmpty()
        .AddLogger(new AccumulationLogger())
        .AddColumnProvider(DefaultColumnProviders.Instance)
        .WithArtifactsPath(_artifacts)
        // `dotnet test` may build Debug; the suites' real runs come from the Release bundle.
        .WithOptions(ConfigOptions.DisableOptimizationsValidator);

    private static string Columns(Summary summary) =>
        string.Join("|", summary.Table.Columns.Where(c => c.NeedToShow).Select(c => c.Header));

    // 1 ms of "GPU time" per prefill sequence and 3 ms per decode token, divided by the variant's fake speed.
    private sealed class FakeWorkload(EndToEndCase c) : IEndToEndWorkload
    {
        private readonly double _speed = c.Variant switch { ModelVariant.Sliced25 => 1.25, ModelVariant.Sliced50 => 2.0, _ => 1.0 };

        public void TimeCall(Span<double> microseconds) =>
            microseconds.Fill((c.Kind == EndToEndKind.Prefill ? 1000.0 * c.Batch : 3000.0) / _speed);

        public void Dispose()
        {
        }
    }
}
