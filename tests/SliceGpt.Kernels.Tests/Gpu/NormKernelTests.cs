using SliceGpt.Kernels.Tests.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests.Gpu;

/// <summary>RMSNorm and LayerNorm kernels against the double reference, in every storage type.</summary>
public sealed class NormKernelTests : GpuTestBase
{
    // fp32: one block-tree sum of ≤ 1000 squares (relative error well under 1e-5) and three roundings per
    // output; 3e-5 relative covers it with margin. Half/bf16 add one output rounding (Tolerance.ForStorage).
    private static readonly Tolerance F32 = new(1e-5, 3e-5);

    [TestCase(StorageType.F32)]
    [TestCase(StorageType.F16)]
    [TestCase(StorageType.Bf16)]
    public void RmsNormMatchesReference(StorageType type) =>
        Storage.For(type, RmsNorm<float>, RmsNorm<Half>, RmsNorm<BFloat16>);

    [TestCase(StorageType.F32)]
    [TestCase(StorageType.F16)]
    [TestCase(StorageType.Bf16)]
    public void LayerNormMatchesReference(StorageType type) =>
        Storage.For(type, LayerNorm<float>, LayerNorm<Half>, LayerNorm<BFloat16>);

    private void RmsNorm<T>() where T : unmanaged
    {
        var tolerance = Tolerance.ForStorage(Storage.TypeOf<T>(), F32);
        foreach (var (rows, width, meanDim, withWeight) in new[] { (7, 64, 64, true), (3, 1000, 1000, false), (5, 96, 128, true) })
        {
            var x = Storage.Representable<T>(TestData.Uniform(rows * width, 1, 3f));
            var weight = Storage.Representable<T>(TestData.Uniform(width, 2));
            using var dx = UploadAs<T>(x);
            using var dy = Context.Allocate<T>(rows * width);
            using var dw = UploadAs<T>(weight);
            Kernels.Norm.RmsNorm<T>(Stream, dx, dy, withWeight ? dw.Memory : default, rows, width, 1e-5f, meanDim);
            var expected = ReferenceOps.RmsNorm(x, rows, width, withWeight ? weight : null, 1e-5, meanDim);
            tolerance.AssertClose(expected, Download(dy), $"rmsnorm {typeof(T).Name} {rows}×{width} meanDim {meanDim}");
        }
    }

    [Test]
    public void RmsNormWorksInPlace()
    {
        var x = TestData.Uniform(4 * 256, 3);
        using var buffer = UploadAs<float>(x);
        Kernels.Norm.RmsNorm<float>(Stream, buffer, buffer, default, 4, 256, 1e-6f, 256);
        F32.AssertClose(ReferenceOps.RmsNorm(x, 4, 256, null, 1e-6, 256), Download(buffer), "in-place rmsnorm");
    }

    private void LayerNorm<T>() where T : unmanaged
    {
        var tolerance = Tolerance.ForStorage(Storage.TypeOf<T>(), F32);
        foreach (var (rows, width, affine) in new[] { (6, 128, true), (2, 777, false) })
        {
            // An offset mean exercises the centring, as in OPT's un-centred residual stream.
            var x = Storage.Representable<T>(TestData.Uniform(rows * width, 4, 2f).Select(v => v + 0.75f).ToArray());
            var weight = Storage.Representable<T>(TestData.Uniform(width, 5));
            var bias = Storage.Representable<T>(TestData.Uniform(width, 6, 0.5f));
            using var dx = UploadAs<T>(x);
            using var dy = Context.Allocate<T>(rows * width);
            using var dw = UploadAs<T>(weight);
            using var db = UploadAs<T>(bias);
            Kernels.Norm.LayerNorm<T>(Stream, dx, dy, affine ? dw.Memory : default, affine ? db.Memory : default, rows, width, 1e-5f);
            var expected = ReferenceOps.LayerNorm(x, rows, width, affine ? weight : null, affine ? bias : null, 1e-5);
            tolerance.AssertClose(expected, Download(dy), $"layernorm {typeof(T).Name} {rows}×{width}");
        }
    }

    [Test]
    public void ShapesAreCheckedBeforeLaunch()
    {
        using var small = Context.Allocate<float>(10);
        var e = Assert.Throws<ArgumentException>(() => Kernels.Norm.RmsNorm<float>(Stream, small, small, default, 2, 8, 1e-5f, 8))!;
        Assert.That(e.Message, Does.Contain("x [rows, width]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.Norm.RmsNorm<float>(Stream, small, small, default, 1, 8, 1e-5f, 4));
    }
}
