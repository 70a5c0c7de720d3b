using SliceGpt.Kernels.Tests.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests.Gpu;

/// <summary>cuSPARSELt's 2:4 GEMM against cuBLAS on the same pruned weight. cuSPARSELt is optional.</summary>
public sealed class SparseLtGemmTests : GpuTestBase
{
    [Test]
    public void SparseProductMatchesDenseProductOfThePrunedWeight()
    {
        if (Context.Device.ComputeCapabilityMajor < 8)
            Assert.Ignore($"2:4 sparse tensor cores need compute capability 8.0+, this GPU is sm_{Context.Device.Architecture}");
        const int outFeatures = 128, inFeatures = 256, rows = 64;
        var w = Storage.Representable<Half>(TestData.Uniform(outFeatures * inFeatures, 90));
        var x = Storage.Representable<Half>(TestData.Uniform(rows * inFeatures, 91));
        using var dw = UploadAs<Half>(w);
        using var dx = UploadAs<Half>(x);
        SparseLtGemm<Half> sparse;
        try
        {
            sparse = new SparseLtGemm<Half>(Context, Stream, dw, outFeatures, inFeatures, rows);
        }
        catch (CudaUnavailableException e)
        {
            Assert.Ignore($"cuSPARSELt is not installed: {e.Message}");
            return;
        }
        using (sparse)
        {
            var pruned = Download(sparse.PrunedWeight);
            for (int o = 0; o < outFeatures; o++)
                for (int g = 0; g < inFeatures; g += 4)
                    Assert.That(Enumerable.Range(g, 4).Count(i => pruned[o * inFeatures + i] != 0), Is.LessThanOrEqualTo(2), $"row {o}, group {g}");

            using var sparseOut = Context.Allocate<Half>(rows * outFeatures);
            using var denseOut = Context.Allocate<Half>(rows * outFeatures);
            using var blas = new BlasHandle(Context);
            sparse.Forward(Stream, dx, sparseOut);
            blas.Linear<Half>(Stream, dx, sparse.PrunedWeight, denseOut, rows, inFeatures, outFeatures);
            // Both accumulate in fp32 and round the output to half; sums of ~128 products of magnitude ≤ 1 (|y| ≲ 10):
            // their difference stays within two half roundings, 2·2^-11·|y| ≈ 1e-2.
            var dense = Download(denseOut).Select(v => (double)v).ToArray();
            new Tolerance(2e-2, 2e-3).AssertClose(dense, Download(sparseOut), "2:4 sparse vs dense on the pruned weight");
        }
    }

    // A weight whose every group of four consecutive inputs holds the magnitudes 1/4, 2/4, 3/4, 1 in random order and
    // signs: no ties, so "the two largest" is unambiguous, and the host pattern is that of TwoFourPruning.
    private static float[] TieFreeWeight(int length, int seed)
    {
        var rng = new Random(seed);
        var w = new float[length];
        for (int g = 0; g < length; g += 4)
        {
            var order = new[] { 1, 2, 3, 4 }.OrderBy(_ => rng.Next()).ToArray();
            for (int i = 0; i < 4; i++)
                w[g + i] = order[i] / 4f * (rng.Next(2) == 0 ? -1 : 1);
        }
        return w;
    }

    private static float[] KeepTwoLargestOfFour(float[] w) =>
        w.Select(v => Math.Abs(v) >= 0.75f ? v : 0f).ToArray();

    private void RequireSparseLt()
    {
        if (Context.Device.ComputeCapabilityMajor < 8)
            Assert.Ignore($"2:4 sparse tensor cores need compute capability 8.0+, this GPU is sm_{Context.Device.Architecture}");
        try
        {
            CudaLibraries.EnsureLoaded(CudaLibrary.CusparseLt);
        }
        catch (CudaUnavailableException e)
        {
            Assert.Ignore($"cuSPARSELt is not installed: {e.Message}");
        }
    }

    private SparseLtGemm<Half> Create(DeviceBuffer<Half> weight, int outFeatures, int inFeatures, int rows, SparseLtPruning pruning)
    {
        RequireSparseLt();
        return new SparseLtGemm<Half>(Context, Stream, weight, outFeatures, inFeatures, rows, pruning);
    }

    [Test]
    public void StripPruningKeepsTheTwoLargestMagnitudesOfEveryFourInputs()
    {
        const int outFeatures = 64, inFeatures = 128, rows = 32;
        var w = TieFreeWeight(outFeatures * inFeatures, 92);
        using var dw = UploadAs<Half>(w);
        using var sparse = Create(dw, outFeatures, inFeatures, rows, SparseLtPruning.Strip);
        Assert.That(Download(sparse.PrunedWeight), Is.EqualTo(KeepTwoLargestOfFour(w)), "strips run along the inputs");
    }

    [Test]
    public void AlreadyPrunedWeightIsMultipliedExactlyAsGiven()
    {
        // What the GPU benchmarks do: prune on the host, compress as given. Same error budget as the Tile test above.
        const int outFeatures = 64, inFeatures = 128, rows = 32;
        var w = KeepTwoLargestOfFour(TieFreeWeight(outFeatures * inFeatures, 93));
        var x = Storage.Representable<Half>(TestData.Uniform(rows * inFeatures, 94));
        using var dw = UploadAs<Half>(w);
        using var dx = UploadAs<Half>(x);
        using var sparse = Create(dw, outFeatures, inFeatures, rows, SparseLtPruning.AlreadyPruned);
        Assert.That(Download(sparse.PrunedWeight), Is.EqualTo(w));
        using var y = Context.Allocate<Half>(rows * outFeatures);
        sparse.Forward(Stream, dx, y);
        var expected = new double[rows * outFeatures];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outFeatures; o++)
                for (int i = 0; i < inFeatures; i++)
                    expected[r * outFeatures + o] += (double)x[r * inFeatures + i] * w[o * inFeatures + i];
        new Tolerance(2e-2, 2e-3).AssertClose(expected, Download(y), "2:4 sparse vs fp64 on the given weight");
    }

    [Test]
    public void AlreadyPrunedRejectsAWeightThatIsNot24()
    {
        const int outFeatures = 32, inFeatures = 64, rows = 16;
        RequireSparseLt();
        using var dw = UploadAs<Half>(TieFreeWeight(outFeatures * inFeatures, 95));
        var e = Assert.Throws<InvalidOperationException>(() =>
            new SparseLtGemm<Half>(Context, Stream, dw, outFeatures, inFeatures, rows, SparseLtPruning.AlreadyPruned))!;
        Assert.That(e.Message, Does.Contain("not 2:4"));
    }

    // Every layout computes Y = X·Wᵀ with X and Y row-major; the weight is stored as the layout says ([in, out] when
    // transposed). Same error budget as the Tile test: both sides accumulate in fp32 and round Y to half once. A layout
    // the installed cuSPARSELt does not implement reports as skipped with the library's status, never as passed.
    [TestCaseSource(nameof(Layouts))]
    public void EveryLayoutComputesTheSameRowMajorProduct(SparseLtLayout layout)
    {
        const int outFeatures = 64, inFeatures = 128, rows = 32;
        RequireSparseLt();
        var w = KeepTwoLargestOfFour(TieFreeWeight(outFeatures * inFeatures, 96));
        var x = Storage.Representable<Half>(TestData.Uniform(rows * inFeatures, 97));
        using var dw = UploadAs<Half>(layout.WeightTransposed ? Transposed(w, outFeatures, inFeatures) : w);
        using var dx = UploadAs<Half>(x);
        using var y = Context.Allocate<Half>(rows * outFeatures);
        SparseLtGemm<Half> sparse;
        try
        {
            sparse = new SparseLtGemm<Half>(Context, Stream, dw, outFeatures, inFeatures, rows, SparseLtPruning.AlreadyPruned, layout);
        }
        catch (CudaException e) when (e.StatusCode == (int)CusparseStatus.NotSupported)
        {
            Assert.Ignore($"cuSPARSELt does not implement {layout.Name}: {e.Message}");
            return;
        }
        using (sparse)
        {
            sparse.Forward(Stream, dx, y);
            new Tolerance(2e-2, 2e-3).AssertClose(Reference(x, w, rows, outFeatures, inFeatures), Download(y), $"{layout.Name}, default algorithm");
            sparse.Search(Stream, dx, y);
            using var again = Context.Allocate<Half>(rows * outFeatures);
            sparse.Forward(Stream, dx, again);
            new Tolerance(2e-2, 2e-3).AssertClose(Reference(x, w, rows, outFeatures, inFeatures), Download(again), $"{layout.Name}, searched {sparse.Algorithm}");
        }
    }

    [Test]
    public void ASearchedPlanIsCachedAndReusedWithoutSearchingAgain()
    {
        const int outFeatures = 128, inFeatures = 256, rows = 64;
        RequireSparseLt();
        var w = KeepTwoLargestOfFour(TieFreeWeight(outFeatures * inFeatures, 98));
        var x = Storage.Representable<Half>(TestData.Uniform(rows * inFeatures, 99));
        using var dw = UploadAs<Half>(w);
        using var dx = UploadAs<Half>(x);
        using var y = Context.Allocate<Half>(rows * outFeatures);
        var plans = new SparseLtPlanCache();
        using var first = new SparseLtGemm<Half>(Context, Stream, dw, outFeatures, inFeatures, rows, SparseLtPruning.AlreadyPruned, plans: plans);
        Assert.That(first.IsSearched, Is.False);
        var chosen = first.Search(Stream, dx, y);
        using var second = new SparseLtGemm<Half>(Context, Stream, dw, outFeatures, inFeatures, rows, SparseLtPruning.AlreadyPruned, plans: plans);
        Assert.Multiple(() =>
        {
            Assert.That(plans.Searches, Is.EqualTo(1));
            Assert.That(second.IsSearched, Is.True, "planned from the cache");
            Assert.That(second.Algorithm.ConfigId, Is.EqualTo(chosen.ConfigId));
            Assert.That(second.Search(Stream, dx, y), Is.EqualTo(second.Algorithm), "nothing left to search");
            Assert.That(plans.Searches, Is.EqualTo(1));
        });
        second.Forward(Stream, dx, y);
        new Tolerance(2e-2, 2e-3).AssertClose(Reference(x, w, rows, outFeatures, inFeatures), Download(y), "cached plan");
    }

    [Test]
    public void BFloat16DecodeBatchOfEightRows()
    {
        // bf16 keeps 8 significant bits: the output rounding alone is 2^-9 relative; sums of 128 products of magnitude ≤ 1
        // (|y| ≲ 10) give ±4e-2, so 1e-1 + 8e-3·|y| covers both sides' rounding with margin.
        const int outFeatures = 64, inFeatures = 128, rows = 8;
        RequireSparseLt();
        var w = KeepTwoLargestOfFour(TieFreeWeight(outFeatures * inFeatures, 100));
        var x = Storage.Representable<BFloat16>(TestData.Uniform(rows * inFeatures, 101));
        using var dw = UploadAs<BFloat16>(w);
        using var dx = UploadAs<BFloat16>(x);
        using var y = Context.Allocate<BFloat16>(rows * outFeatures);
        using var sparse = new SparseLtGemm<BFloat16>(Context, Stream, dw, outFeatures, inFeatures, rows, SparseLtPruning.AlreadyPruned);
        sparse.Search(Stream, dx, y);
        sparse.Forward(Stream, dx, y);
        new Tolerance(1e-1, 8e-3).AssertClose(Reference(x, w, rows, outFeatures, inFeatures), Download(y), "bf16, 8 rows");
    }

    private static IEnumerable<TestCaseData> Layouts() =>
        SparseLtLayout.All.Select(l => new TestCaseData(l).SetArgDisplayNames(l.Name));

    private static double[] Reference(float[] x, float[] w, int rows, int outFeatures, int inFeatures)
    {
        var y = new double[rows * outFeatures];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outFeatures; o++)
                for (int i = 0; i < inFeatures; i++)
                    y[r * outFeatures + o] += (double)x[r * inFeatures + i] * w[o * inFeatures + i];
        return y;
    }

    private static float[] Transposed(float[] w, int rows, int cols)
    {
        var t = new float[w.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = w[r * cols + c];
        return t;
    }
}
