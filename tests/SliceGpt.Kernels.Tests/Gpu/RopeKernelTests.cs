using SliceGpt.Kernels.Tests.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests.Gpu;

/// <summary>RoPE on a fused qkv buffer: both layouts, partial rotary, GQA head counts, per-row positions.</summary>
public sealed class RopeKernelTests : GpuTestBase
{
    // Two products and a sum per output in fp32 (with possible FMA contraction): a few ulp, so 1e-6
    // relative plus 1e-6 absolute (cancellation near zero). Half/bf16 add one output rounding.
    private static readonly Tolerance F32 = new(1e-6, 1e-6);

    [TestCase(StorageType.F32, RopeStyle.Interleaved)]
    [TestCase(StorageType.F32, RopeStyle.RotateHalf)]
    [TestCase(StorageType.F16, RopeStyle.RotateHalf)]
    [TestCase(StorageType.Bf16, RopeStyle.Interleaved)]
    public void RotatesQueryAndKeyHeadsOnly(StorageType type, RopeStyle style)
    {
        Storage.For(type, () => Rope<float>(style), () => Rope<Half>(style), () => Rope<BFloat16>(style));
    }

    private void Rope<T>(RopeStyle style) where T : unmanaged
    {
        // Phi-like partial rotary (32 of 80 dims) with GQA (8 query heads, 2 kv heads).
        foreach (var (nHeads, nKvHeads, headDim, rotaryDim) in new[] { (8, 2, 80, 32), (4, 4, 64, 64) })
        {
            const int rows = 6, maxPositions = 40;
            int stride = (nHeads + 2 * nKvHeads) * headDim;
            var inverse = Enumerable.Range(0, rotaryDim / 2).Select(i => 1 / Math.Pow(10000, 2.0 * i / rotaryDim)).ToArray();
            var cos = new float[maxPositions * rotaryDim / 2];
            var sin = new float[maxPositions * rotaryDim / 2];
            RopeKernels.BuildTables(inverse, maxPositions, cos, sin);
            int[] positions = [0, 1, 7, 39, 20, 3];
            var qkv = Storage.Representable<T>(TestData.Uniform(rows * stride, 20));
            using var dQkv = UploadAs<T>(qkv);
            using var dPositions = Upload(positions);
            using var dCos = Upload(cos);
            using var dSin = Upload(sin);
            Kernels.Rope.Apply<T>(Stream, dQkv, dPositions, dCos, dSin, rows, nHeads, nKvHeads, headDim, rotaryDim, style, maxPositions);
            var expected = ReferenceOps.Rope(qkv, rows, nHeads, nKvHeads, headDim, rotaryDim, style == RopeStyle.Interleaved, positions, cos, sin);
            var actual = Download(dQkv);
            Tolerance.ForStorage(Storage.TypeOf<T>(), F32).AssertClose(expected, actual, $"rope {typeof(T).Name} {style} {nHeads}/{nKvHeads}×{headDim} rotary {rotaryDim}");
            // Values and the non-rotary dims must come back bit for bit.
            int qk = (nHeads + nKvHeads) * headDim;
            for (int r = 0; r < rows; r++)
                Assert.That(actual.AsSpan(r * stride + qk, nKvHeads * headDim).ToArray(), Is.EqualTo(qkv.AsSpan(r * stride + qk, nKvHeads * headDim).ToArray()));
        }
    }

    [Test]
    public void PositionOutsideTheTableGivesNaN()
    {
        const int headDim = 8, maxPositions = 4;
        var cos = new float[maxPositions * 4];
        var sin = new float[maxPositions * 4];
        RopeKernels.BuildTables([1.0, 0.1, 0.01, 0.001], maxPositions, cos, sin);
        using var qkv = UploadAs<float>(TestData.Uniform(3 * headDim, 21));
        using var positions = Upload(new[] { maxPositions });
        using var dCos = Upload(cos);
        using var dSin = Upload(sin);
        Kernels.Rope.Apply<float>(Stream, qkv, positions, dCos, dSin, 1, 1, 1, headDim, headDim, RopeStyle.RotateHalf, maxPositions);
        Assert.That(Download(qkv).Take(2 * headDim), Has.All.NaN);
    }
}
