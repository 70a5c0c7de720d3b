using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Cuda;

namespace SliceGpt.Runtime.Tests.Cuda;

/// <summary>The CUDA backend's host-side pieces that need no GPU: arena planning, shared lifetimes, conversions, names.</summary>
public class CudaHostSideTests
{
    [Test]
    public void ArenaLayout_AlignsEveryRegionTo256Bytes_AndReplansIdentically()
    {
        static List<long> Plan()
        {
            var layout = new ArenaLayout();
            return
            [
                layout.Reserve<float>(3).ByteOffset, layout.Reserve<Half>(129).ByteOffset, layout.Reserve<double>(0).ByteOffset,
                layout.Reserve<int>(64).ByteOffset, layout.Bytes,
            ];
        }
        var first = Plan();
        Assert.That(first, Is.EqualTo(new long[] { 0, 256, 768, 768, 1024 }));
        Assert.That(Plan(), Is.EqualTo(first));
    }

    [Test]
    public void SharedLifetime_ReleasesOnceWhenTheLastReferenceGoes()
    {
        int released = 0;
        var lifetime = new SharedLifetime(() => released++);
        Assert.That(lifetime.TryAcquire(), Is.True);    // a child (session)
        lifetime.Release();                             // the owner lets go first
        Assert.That(released, Is.Zero, "the child still holds it");
        lifetime.Release();                             // the child goes
        Assert.Multiple(() =>
        {
            Assert.That(released, Is.EqualTo(1));
            Assert.That(lifetime.IsReleased, Is.True);
            Assert.That(lifetime.TryAcquire(), Is.False, "nothing to hold once released");
        });
    }

    [Test]
    public void HostConversion_RoundsToNearestEven()
    {
        float[] values = [1f, 1.00048828125f /* 1 + 2^-11: half's tie, to even */, 65504f, 1e-8f, -2.5f, 1.00390625f /* bf16 tie */];
        var half = new Half[values.Length];
        var bf16 = new BFloat16[values.Length];
        var same = new float[values.Length];
        HostConversion.FromFloat<Half>(values, half);
        HostConversion.FromFloat<BFloat16>(values, bf16);
        HostConversion.FromFloat<float>(values, same);
        Assert.Multiple(() =>
        {
            Assert.That(half.Select(h => (float)h), Is.EqualTo(new[] { 1f, 1f, 65504f, 0f, -2.5f, 1.00390625f }));
            Assert.That(bf16.Select(b => (float)b), Is.EqualTo(new[] { 1f, 1f, 65536f, (float)(BFloat16)1e-8f, -2.5f, 1f }));
            Assert.That(same, Is.EqualTo(values));
        });
    }

    [Test]
    public void Precision_NamesAndStorageTypes()
    {
        Assert.Multiple(() =>
        {
            Assert.That(CudaPrecision.Float32.ShortName(), Is.EqualTo("fp32"));
            Assert.That(CudaPrecision.Float16.ShortName(), Is.EqualTo("fp16"));
            Assert.That(CudaPrecision.BFloat16.ShortName(), Is.EqualTo("bf16"));
            Assert.That(CudaPrecisionExtensions.Of<Half>(), Is.EqualTo(CudaPrecision.Float16));
            Assert.That(CudaPrecisionExtensions.Of<BFloat16>(), Is.EqualTo(CudaPrecision.BFloat16));
            Assert.Throws<NotSupportedException>(() => CudaPrecisionExtensions.Of<double>());
        });
    }
}
