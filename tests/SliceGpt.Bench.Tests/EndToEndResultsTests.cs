using SliceGpt.Bench.Gpu.EndToEnd;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Tests;

/// <summary>The suites' case lists, and the rows computed from recorded samples (tokens/s, speedups, roofline share).</summary>
[NonParallelizable] // the results live in process-wide stores, as in the benchmark process
public class EndToEndResultsTests
{
    [Test]
    public void Suites_RunEachModelsCasesTogether_DenseFirst()
    {
        foreach (var (suite, batches) in new[] { (EndToEndSuite.Full, 11), (EndToEndSuite.Smoke, 3) })
        {
            Assert.That(suite, Has.Count.EqualTo(3 * (batches + 1)));
            Assert.That(suite.Select(c => c.Order), Is.EqualTo(Enumerable.Range(0, suite.Count)), "BenchmarkDotNet runs them in this order");
            Assert.That(suite.Select(c => c.Id).Distinct().Count(), Is.EqualTo(suite.Count));
            // One upload per model: a variant's cases are contiguous, and dense (the speedups' reference) comes first.
            var order = suite.Select(c => c.Variant).Distinct().ToList();
            Assert.That(order, Is.EqualTo(ModelVariants.All));
            Assert.That(suite.Zip(suite.Skip(1)).Count(p => p.First.Variant != p.Second.Variant), Is.EqualTo(2));
            Assert.That(suite.Where(c => c.Kind == EndToEndKind.Prefill).Select(c => c.SeqLen).Distinct(), Is.EqualTo(new[] { 128 }));
        }
        Assert.That(EndToEndSuite.Full.Where(c => c.Kind == EndToEndKind.Prefill).Select(c => c.Batch).Distinct(),
            Is.EqualTo(new[] { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024 }));
    }

    [TestCase(1, 32)]
    [TestCase(4, 8)]
    [TestCase(32, 1)]
    [TestCase(1024, 1)]
    public void SmallBatches_TakeMoreSamplesPerCall(int batch, int samples) =>
        Assert.That(new EndToEndCase(EndToEndKind.Prefill, ModelVariant.Dense, batch, 128, 0, 0).SamplesPerCall, Is.EqualTo(samples));

    [Test]
    public void Rows_GiveTokensPerSecond_SpeedupsAtEqualBatch_AndTheRooflineShare()
    {
        var cases = EndToEndSuite.Cases([1, 2], decodeSteps: 4);
        try
        {
            Record(cases, ModelVariant.Dense, EndToEndKind.Prefill, 1, [10_000, 12_000, 11_000]);   // median 11 ms
            Record(cases, ModelVariant.Sliced25, EndToEndKind.Prefill, 1, [8_800, 8_800]);            // 8.8 ms
            Record(cases, ModelVariant.Dense, EndToEndKind.Prefill, 2, [20_000]);
            EndToEndResults.Skip(Find(cases, ModelVariant.Sliced25, EndToEndKind.Prefill, 2).Id, "out of memory: test");
            Record(cases, ModelVariant.Dense, EndToEndKind.Decode, 1, [3_000, 3_000, 3_000, 5_000]);  // mean 3.5 ms
            Record(cases, ModelVariant.Sliced50, EndToEndKind.Decode, 1, [2_000, 2_000, 2_000, 1_000]); // mean 1.75 ms

            var rows = EndToEndResults.Rows(cases, peakBytesPerSecond: 4.8e12);
            EndToEndRow Row(ModelVariant v, EndToEndKind k, int b) => rows.Single(r => r.Case.Variant == v && r.Case.Kind == k && r.Case.Batch == b);
            var dense1 = Row(ModelVariant.Dense, EndToEndKind.Prefill, 1);
            var sliced1 = Row(ModelVariant.Sliced25, EndToEndKind.Prefill, 1);
            var skipped = Row(ModelVariant.Sliced25, EndToEndKind.Prefill, 2);
            var denseDecode = Row(ModelVariant.Dense, EndToEndKind.Decode, 1);
            var slicedDecode = Row(ModelVariant.Sliced50, EndToEndKind.Decode, 1);
            Assert.Multiple(() =>
            {
                Assert.That(dense1.MedianMicroseconds, Is.EqualTo(11_000));
                Assert.That(dense1.TokensPerSecond, Is.EqualTo(128 / 0.011).Within(1e-6));
                Assert.That(dense1.SpeedupOverDense, Is.EqualTo(1.0));
                Assert.That(sliced1.SpeedupOverDense, Is.EqualTo(11.0 / 8.8).Within(1e-12));
                Assert.That(Row(ModelVariant.Dense, EndToEndKind.Prefill, 2).TokensPerSecond, Is.EqualTo(256 / 0.020).Within(1e-6));
                Assert.That(skipped.Status, Is.EqualTo("out of memory: test"));
                Assert.That(skipped.SpeedupOverDense, Is.NaN);
                Assert.That(Row(ModelVariant.Sliced50, EndToEndKind.Prefill, 1).Status, Is.EqualTo("not run (see the log)"));
                // Decode uses the mean (the paper's average per-token time), not the median.
                Assert.That(denseDecode.TokensPerSecond, Is.EqualTo(1 / 0.0035).Within(1e-9));
                Assert.That(slicedDecode.SpeedupOverDense, Is.EqualTo(2.0).Within(1e-12));
                Assert.That(denseDecode.BytesPerToken, Is.EqualTo(DecodeRoofline.BytesPerToken(EndToEndModels.Blueprint(ModelVariant.Dense), 128, 4, 2)));
                Assert.That(denseDecode.RooflineShare, Is.EqualTo(denseDecode.BytesPerToken / 0.0035 / 4.8e12).Within(1e-12));
                Assert.That(dense1.RooflineShare, Is.NaN, "prefill has no roofline share");
            });
        }
        finally
        {
            foreach (var c in cases)
                EndToEndResults.Reset(c.Id);
        }
    }

    private static EndToEndCase Find(IReadOnlyList<EndToEndCase> cases, ModelVariant v, EndToEndKind k, int batch) =>
        cases.Single(c => c.Variant == v && c.Kind == k && c.Batch == batch);

    private static void Record(IReadOnlyList<EndToEndCase> cases, ModelVariant v, EndToEndKind k, int batch, double[] microseconds) =>
        GpuTimings.Add(Find(cases, v, k, batch).Id, microseconds);
}
