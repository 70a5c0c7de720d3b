using SliceGpt.Kernels.Tests.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests.Gpu;

/// <summary>dtype conversions (bit-exact against .NET's own roundings) and the per-row loss kernels.</summary>
public sealed class ConvertAndLossTests : GpuTestBase
{
    private static float[] Interesting() =>
        TestData.Uniform(5000, 50, 70000f).Concat(TestData.Uniform(1000, 51, 1e-6f))
            .Concat([0f, -0f, 1f, 65504f, 65520f, 1e-8f, float.PositiveInfinity, float.NegativeInfinity, 3.4e38f]).ToArray();

    [Test]
    public void FloatToHalfAndBackIsBitExact()
    {
        // cvt.rn.f16.f32 and .NET's (Half) cast both round to nearest even, overflow to infinity and
        // produce subnormals the same way, so the results must agree bit for bit.
        var values = Interesting();
        using var source = Upload(values);
        using var half = Context.Allocate<Half>(values.Length);
        using var back = Context.Allocate<float>(values.Length);
        Kernels.Convert.Convert<float, Half>(Stream, source, half, values.Length);
        Kernels.Convert.Convert<Half, float>(Stream, half, back, values.Length);
        Assert.That(DownloadRaw(half).Select(BitConverter.HalfToUInt16Bits), Is.EqualTo(values.Select(v => BitConverter.HalfToUInt16Bits((Half)v))));
        Assert.That(DownloadRaw(back), Is.EqualTo(values.Select(v => (float)(Half)v)));
    }

    [Test]
    public void FloatToBFloat16AndBackIsBitExact()
    {
        var values = Interesting().Append(float.NaN).ToArray();
        using var source = Upload(values);
        using var bf16 = Context.Allocate<BFloat16>(values.Length);
        using var back = Context.Allocate<float>(values.Length);
        Kernels.Convert.Convert<float, BFloat16>(Stream, source, bf16, values.Length);
        Kernels.Convert.Convert<BFloat16, float>(Stream, bf16, back, values.Length);
        Assert.That(DownloadRaw(bf16).Select(b => b.Bits), Is.EqualTo(values.Select(v => ((BFloat16)v).Bits)));
        Assert.That(DownloadRaw(back).Select(BitConverter.SingleToUInt32Bits), Is.EqualTo(values.Select(v => BitConverter.SingleToUInt32Bits((float)(BFloat16)v))));
    }

    [Test]
    public void DoubleToFloatRoundsToNearestAndBackIsExact()
    {
        var values = TestData.Uniform(3000, 52).Select(v => v * Math.PI * 1e3).Append(1e300).Append(-1e-300).ToArray();
        using var source = Upload(values);
        using var single = Context.Allocate<float>(values.Length);
        using var back = Context.Allocate<double>(values.Length);
        Kernels.Convert.Convert<double, float>(Stream, source, single, values.Length);
        Kernels.Convert.Convert<float, double>(Stream, single, back, values.Length);
        Assert.That(DownloadRaw(single), Is.EqualTo(values.Select(v => (float)v)));
        Assert.That(DownloadRaw(back), Is.EqualTo(values.Select(v => (double)(float)v)));
        Assert.Throws<NotSupportedException>(() => Kernels.Convert.Convert<Half, double>(Stream, default, default(DeviceMemory<double>), 1));
    }

    [TestCase(StorageType.F32)]
    [TestCase(StorageType.F16)]
    [TestCase(StorageType.Bf16)]
    public void NegativeLogLikelihoodMatchesTheDoubleReference(StorageType type) =>
        Storage.For(type, Nll<float>, Nll<Half>, Nll<BFloat16>);

    private void Nll<T>() where T : unmanaged
    {
        // Both sides exponentiate and sum in double from the same stored logits; only the summation order
        // and CUDA's exp (within 1 ulp) differ, so 1e-10 absolute on values of about 10 is generous.
        const int rows = 4, vocab = 32000;
        var logits = Storage.Representable<T>(TestData.Uniform(rows * vocab, 53, 8f));
        int[] targets = [0, 31999, 12345, vocab];   // the last is out of range: NaN
        using var dLogits = UploadAs<T>(logits);
        using var dTargets = Upload(targets);
        using var nll = Context.Allocate<double>(rows);
        Kernels.Loss.NegLogLikelihood<T>(Stream, dLogits, dTargets, nll, rows, vocab);
        var actual = DownloadRaw(nll);
        for (int r = 0; r < rows - 1; r++)
            Assert.That(actual[r], Is.EqualTo(ReferenceOps.NegLogLikelihood(logits.AsSpan(r * vocab, vocab), targets[r])).Within(1e-10), $"row {r}");
        Assert.That(actual[rows - 1], Is.NaN);
    }

    [TestCase(StorageType.F32)]
    [TestCase(StorageType.F16)]
    [TestCase(StorageType.Bf16)]
    public void ArgMaxPicksTheFirstLargestLogit(StorageType type) =>
        Storage.For(type, ArgMax<float>, ArgMax<Half>, ArgMax<BFloat16>);

    private void ArgMax<T>() where T : unmanaged
    {
        const int rows = 4, vocab = 50257;
        var logits = Storage.Representable<T>(TestData.Uniform(rows * vocab, 54, 10f));
        logits[1 * vocab + 7] = logits[1 * vocab + 40000] = 50f;   // a tie: the first index wins
        logits[2 * vocab + 3] = float.NaN;                          // NaN never wins
        logits[2 * vocab + 9] = 60f;
        for (int j = 0; j < vocab; j++)
            logits[3 * vocab + j] = -1f;                            // all equal: index 0
        using var dLogits = UploadAs<T>(logits);
        using var result = Context.Allocate<int>(rows);
        Kernels.Loss.ArgMax<T>(Stream, dLogits, result, rows, vocab);
        var expected = new[] { ReferenceOps.ArgMax(logits.AsSpan(0, vocab)), 7, 9, 0 };
        Assert.That(DownloadRaw(result), Is.EqualTo(expected));
    }
}
