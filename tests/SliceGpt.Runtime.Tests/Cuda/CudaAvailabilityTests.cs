using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Cuda;

namespace SliceGpt.Runtime.Tests.Cuda;

/// <summary>
/// What the CUDA backend says on a machine without a GPU (CI, laptops). These run anywhere; on a GPU machine they
/// report as skipped, because there the GPU fixtures cover the other side.
/// </summary>
public class CudaAvailabilityTests
{
    [Test]
    public void IsAvailable_WithoutAGpu_IsFalseAndNamesWhatWasTried()
    {
        bool available = CudaBackend.IsAvailable(out var reason);
        if (available)
            Assert.Ignore($"a usable CUDA device is present ({reason}); this test covers machines without one");
        Assert.That(reason, Does.Contain("Tried:"), "the reason lists every library name and path attempted");
        Assert.That(reason, Does.Match("libcuda|libcublas|libnvrtc"), "the reason names the library that was looked for");
        TestContext.Out.WriteLine(reason);
    }

    [Test]
    public void Constructor_WithoutAGpu_ThrowsCudaUnavailableException_WithTheSameReason()
    {
        var probe = CudaBackend.Probe();
        if (probe.DevicePresent)
            Assert.Ignore($"a GPU is present ({probe.Reason}); this test covers machines without one");
        var e = Assert.Throws<CudaUnavailableException>(() => new CudaBackend())!;
        Assert.That(e.Message, Is.EqualTo(probe.Reason));
        Assert.That(e.Tried, Is.Not.Empty);
    }

    [Test]
    public void IsAvailable_CalledRepeatedly_GivesTheSameAnswerAndNeverThrows()
    {
        bool first = CudaBackend.IsAvailable(out var reason1);
        bool second = CudaBackend.IsAvailable(out var reason2);
        Assert.Multiple(() =>
        {
            Assert.That(second, Is.EqualTo(first));
            Assert.That(reason2, Is.EqualTo(reason1));
            Assert.That(reason1, Is.Not.Empty);
        });
    }
}
