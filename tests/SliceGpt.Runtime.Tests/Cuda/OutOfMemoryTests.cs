using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Tests.Slicing;
using SliceGpt.Runtime.Tests.Support;

namespace SliceGpt.Runtime.Tests.Cuda;

/// <summary>
/// A server must survive the GPU running out of memory (issue 14): a session that does not fit fails with a typed error
/// saying what needed how much and what was free, takes nothing with it, and the next request works. Needs the real
/// device: the emulated one allocates host memory without a limit.
/// </summary>
[Category("Gpu")]
public sealed class OutOfMemoryTests() : SessionTestBase(TestDevice.Cuda)
{
    [Test]
    public void ASessionTooLargeForTheGpu_FailsTyped_FreesEverything_AndTheNextOneWorks()
    {
        var model = InvarianceTests.Synthetic<float>("llama", new SyntheticSpec("llama", Dim: 256, Hidden: 512, Heads: 4, KvHeads: 4, MaxPos: 2048));
        using var prepared = Prepare<float>(model);
        var (freeBefore, total) = Backend.Context.MemoryInfo();
        // Slots of 2048 positions whose KV cache alone needs about twice the whole device.
        long perSlot = 2L * model.Config.NLayers * 2048 * model.Config.KvDim * sizeof(float);
        int slots = (int)Math.Min(int.MaxValue / 4096, 2 * total / perSlot);
        var options = new SessionOptions(slots, 2048) { MaxTokensPerPass = 2048 };
        var e = Assert.Throws<CudaException>(() => prepared.CreateSession(options))!;
        Assert.That(e.StatusCode, Is.EqualTo((int)CuResult.OutOfMemory));
        Assert.That(e.Message, Does.Contain("needs").And.Contain("MiB free"));
        var (freeAfter, _) = Backend.Context.MemoryInfo();
        // The failed call took nothing: free memory is what it was, within what the driver itself may have moved (64 MiB).
        Assert.That(freeAfter, Is.GreaterThan(freeBefore - (64L << 20)));
        using var session = prepared.CreateSession(1, 16);
        var logits = session.Prefill([1, 2, 3]).ToArray();
        Assert.That(logits.All(float.IsFinite), "the next request works");
    }
}
