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

    [Test]
    public void StripPruningKeepsAWeightThatIsAlreadyMagnitude24()
    {
        // The GPU benchmarks prune on the host (two largest |w| of every four consecutive inputs) and rely on cuSPARSELt's
        // strip pruning to leave that weight bit for bit as it is; this also pins the direction of its strips (inputs).
        if (Context.Device.ComputeCapabilityMajor < 8)
            Assert.Ignore($"2:4 sparse tensor cores need compute capability 8.0+, this GPU is sm_{Context.Device.Architecture}");
        const int outFeatures = 64, inFeatures = 128, rows = 32;
        var w = Storage.Representable<Half>(TestData.Uniform(outFeatures * inFeatures, 92));
        for (int g = 0; g < w.Length; g += 4)
        {
            var drop = Enumerable.Range(g, 4).OrderByDescending(i => Math.Abs(w[i])).ThenBy(i => i).Skip(2);
            foreach (int i in drop)
                w[i] = 0;
        }
        using var dw = UploadAs<Half>(w);
        SparseLtGemm<Half> sparse;
        try
        {
            sparse = new SparseLtGemm<Half>(Context, Stream, dw, outFeatures, inFeatures, rows, SparseLtPruning.Strip);
        }
        catch (CudaUnavailableException e)
        {
            Assert.Ignore($"cuSPARSELt is not installed: {e.Message}");
            return;
        }
        using (sparse)
            Assert.That(Download(sparse.PrunedWeight), Is.EqualTo(w), "strip pruning of a 2:4 weight changes nothing");
        Assert.That(Context.Device.L2CacheBytes, Is.GreaterThan(0), "the device reports its L2 size (the benchmarks size their flush by it)");
    }
}
