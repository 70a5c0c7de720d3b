using SliceGpt.Kernels.Tests.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests.Gpu;

/// <summary>cuBLAS through BlasHandle: the row-major linear layer and GEMM forms, fp32, fp16 and fp64, and SYRK.</summary>
public sealed class BlasHandleTests : GpuTestBase
{
    private BlasHandle _blas = null!;

    [OneTimeSetUp]
    public void CreateHandle() => _blas = new BlasHandle(Context);

    private static double[] LinearReference(float[] x, float[] w, int rows, int inFeatures, int outFeatures)
    {
        var y = new double[rows * outFeatures];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outFeatures; o++)
            {
                double sum = 0;
                for (int i = 0; i < inFeatures; i++)
                    sum += (double)x[r * inFeatures + i] * w[o * inFeatures + i];
                y[r * outFeatures + o] = sum;
            }
        return y;
    }

    [Test]
    public void LinearFp32MatchesReference()
    {
        // Full fp32 (TF32 off): 300 products of values in [-1, 1] summed in fp32, error ~ sqrt(300)·6e-8·|terms|,
        // far below 1e-4 absolute on sums of magnitude about 10.
        const int rows = 37, inFeatures = 300, outFeatures = 123;
        var x = TestData.Uniform(rows * inFeatures, 60);
        var w = TestData.Uniform(outFeatures * inFeatures, 61);
        using var dx = Upload(x);
        using var dw = Upload(w);
        using var dy = Context.Allocate<float>(rows * outFeatures);
        _blas.Linear<float>(Stream, dx, dw, dy, rows, inFeatures, outFeatures);
        var expected = LinearReference(x, w, rows, inFeatures, outFeatures);
        new Tolerance(1e-4, 1e-5).AssertClose(expected, Download(dy), "linear fp32");

        _blas.Linear<float>(Stream, dx, dw, dy, rows, inFeatures, outFeatures, accumulate: true);
        new Tolerance(2e-4, 1e-5).AssertClose(expected.Select(v => 2 * v).ToArray(), Download(dy), "linear fp32, accumulated");
    }

    [Test]
    public void LinearFp16AccumulatesInFp32()
    {
        // Inputs rounded to half (the reference uses the rounded values), products accumulated in fp32, and
        // the output rounded once to half: relative 2^-11 ≈ 4.9e-4 of |y| (about 10 here), so 1e-2 absolute
        // plus 1e-3 relative. An fp16 accumulation over 512 terms would miss this by an order of magnitude.
        const int rows = 16, inFeatures = 512, outFeatures = 64;
        var x = Storage.Representable<Half>(TestData.Uniform(rows * inFeatures, 62));
        var w = Storage.Representable<Half>(TestData.Uniform(outFeatures * inFeatures, 63));
        using var dx = UploadAs<Half>(x);
        using var dw = UploadAs<Half>(w);
        using var dy = Context.Allocate<Half>(rows * outFeatures);
        _blas.Linear<Half>(Stream, dx, dw, dy, rows, inFeatures, outFeatures);
        new Tolerance(1e-2, 1e-3).AssertClose(LinearReference(x, w, rows, inFeatures, outFeatures), Download(dy), "linear fp16");
    }

    [Test]
    public void LinearToFloatWritesFp32FromHalfAndBFloat16Operands()
    {
        // Operands rounded to 16 bits (the reference uses the rounded values), products accumulated in fp32 and
        // written in fp32: the only error is fp32 summation over 512 terms, ~1e-6 relative of |y| (about 10);
        // 1e-4 absolute would still catch an output rounded to half (5e-3 at 10) or a wrong operand order.
        const int rows = 9, inFeatures = 512, outFeatures = 40;
        var xh = Storage.Representable<Half>(TestData.Uniform(rows * inFeatures, 70));
        var wh = Storage.Representable<Half>(TestData.Uniform(outFeatures * inFeatures, 71));
        using var dxh = UploadAs<Half>(xh);
        using var dwh = UploadAs<Half>(wh);
        using var dy = Context.Allocate<float>(rows * outFeatures);
        _blas.LinearToFloat<Half>(Stream, dxh, dwh, dy, rows, inFeatures, outFeatures);
        var expectedHalf = LinearReference(xh, wh, rows, inFeatures, outFeatures);
        new Tolerance(1e-4, 1e-5).AssertClose(expectedHalf, Download(dy), "linear fp16 → fp32");

        var xb = Storage.Representable<BFloat16>(TestData.Uniform(rows * inFeatures, 72));
        var wb = Storage.Representable<BFloat16>(TestData.Uniform(outFeatures * inFeatures, 73));
        using var dxb = UploadAs<BFloat16>(xb);
        using var dwb = UploadAs<BFloat16>(wb);
        _blas.LinearToFloat<BFloat16>(Stream, dxb, dwb, dy, rows, inFeatures, outFeatures);
        var expectedBf16 = LinearReference(xb, wb, rows, inFeatures, outFeatures);
        new Tolerance(1e-4, 1e-5).AssertClose(expectedBf16, Download(dy), "linear bf16 → fp32");

        _blas.LinearToFloat<BFloat16>(Stream, dxb, dwb, dy, rows, inFeatures, outFeatures, accumulate: true);
        new Tolerance(2e-4, 1e-5).AssertClose(expectedBf16.Select(v => 2 * v).ToArray(), Download(dy), "linear bf16 → fp32, accumulated");
    }

    [Test]
    public void RowMajorGemmHonoursTranspositions()
    {
        // C[m, n] = Aᵀ·B with A stored [k, m]: fp32, same error budget as the linear layer.
        const int m = 20, n = 30, k = 40;
        var a = TestData.Uniform(k * m, 64);
        var b = TestData.Uniform(k * n, 65);
        using var da = Upload(a);
        using var db = Upload(b);
        using var dc = Context.Allocate<float>(m * n);
        _blas.GemmRowMajor<float>(Stream, true, false, m, n, k, 1f, da, m, db, n, 0f, dc, n);
        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++)
                    expected[i * n + j] += (double)a[p * m + i] * b[p * n + j];
        new Tolerance(1e-5, 1e-5).AssertClose(expected, Download(dc), "gemm row-major Aᵀ·B");
    }

    [Test]
    public void DgemmAndStridedBatchedAreExactEnoughInDouble()
    {
        // fp64 throughout: 50-term sums of products in [-1, 1], error ~1e-15.
        const int m = 8, n = 9, k = 50, batch = 3;
        var a = TestData.Uniform(batch * m * k, 66).Select(v => (double)v).ToArray();
        var b = TestData.Uniform(batch * k * n, 67).Select(v => (double)v).ToArray();
        using var da = Upload(a);
        using var db = Upload(b);
        using var dc = Context.Allocate<double>(batch * m * n);
        _blas.GemmStridedBatched<double>(Stream, false, false, m, n, k, 1f, da, m, m * k, db, k, k * n, 0f, dc, m, m * n, batch);
        var batched = DownloadRaw(dc);
        _blas.Dgemm(Stream, false, false, m, n, k, 1.0, da, m, db, k, 0.0, dc, m);
        var single = DownloadRaw(dc);
        for (int s = 0; s < batch; s++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double expected = 0;
                    for (int p = 0; p < k; p++)
                        expected += a[s * m * k + p * m + i] * b[s * k * n + j * k + p];   // column-major
                    Assert.That(batched[s * m * n + j * m + i], Is.EqualTo(expected).Within(1e-12), $"batch {s} ({i}, {j})");
                    if (s == 0)
                        Assert.That(single[j * m + i], Is.EqualTo(expected).Within(1e-12), $"dgemm ({i}, {j})");
                }
    }

    [Test]
    public void SyrkAccumulatesTheUpperTriangleOfTheCovariance()
    {
        const int n = 24, k = 100;
        var a = TestData.Uniform(k * n, 68).Select(v => (double)v).ToArray();
        using var da = Upload(a);
        using var dc = Context.Allocate<double>(n * n);
        dc.Clear(Stream);
        _blas.SyrkTransposedUpper(Stream, n, k, 1.0, da, n, 0.0, dc, n);
        var c = DownloadRaw(dc);
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
            {
                double expected = 0;
                for (int t = 0; t < k; t++)
                    expected += a[t * n + i] * a[t * n + j];
                Assert.That(c[i * n + j], Is.EqualTo(expected).Within(1e-11), $"H[{i}, {j}]");
            }
    }

    [Test]
    public void ShapesAreCheckedBeforeCallingCublas()
    {
        using var small = Context.Allocate<float>(10);
        var e = Assert.Throws<ArgumentException>(() => _blas.Linear<float>(Stream, small, small, small, 2, 4, 4))!;
        Assert.That(e.Message, Does.Contain("weight [outFeatures, inFeatures]"));
        Assert.Throws<ArgumentException>(() => _blas.GemmRowMajor<float>(Stream, false, false, 2, 2, 2, 1f, small, 1, small, 2, 0f, small, 2));
    }
}
