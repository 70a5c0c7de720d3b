using SliceGpt.Runtime.Inference.Cuda;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Tests.Cuda.Emulation;
using SliceGpt.Runtime.Tests.Inference;
using SliceGpt.Runtime.Tests.Slicing;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Runtime.Tests.Cuda;

/// <summary>Sessions as a server uses them: from pool threads, concurrently, without allocating per token, and disposed in any order.</summary>
public abstract class SessionLifecycleTests(TestDevice device) : SessionTestBase(device)
{
    private static readonly int[] Tokens = [3, 17, 0, 39, 8, 8, 25, 11, 2, 30, 5, 19];

    [Test]
    public void SessionsOnSeveralThreads_GiveTheSameResultsAsOneThread()
    {
        // Each thread has its own session (stream, cuBLAS handle, buffers) over the shared weights. cuBLAS only
        // promises bitwise reproducibility with a single active stream, so the comparison allows 1e-5 relative.
        var model = InvarianceTests.Synthetic<float>("phi3");
        using var gpu = Prepare<float>(model);
        var inputs = Enumerable.Range(0, 6).Select(t => Tokens.Select(id => (id + 7 * t) % model.Config.VocabSize).ToArray()).ToArray();
        var expected = inputs.Select(ids =>
        {
            using var s = gpu.CreateSession(1, ids.Length);
            return SessionLogits(s, ids, 1);
        }).ToArray();
        var actual = new double[inputs.Length][][];
        Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = inputs.Length }, t =>
        {
            using var s = gpu.CreateSession(1, inputs[t].Length);
            for (int repeat = 0; repeat < 5; repeat++)
                actual[t] = SessionLogits(s, inputs[t], 1);
        });
        for (int t = 0; t < inputs.Length; t++)
            FamilyForwardTests.AssertClose(actual[t], expected[t], 1e-5);
    }

    [Test]
    public async Task OneSession_CalledFromDifferentPoolThreads_Works()
    {
        // Every entry point binds the context itself, so a session may move between threads between calls.
        using var gpu = Prepare<float>(InvarianceTests.Synthetic<float>("llama"));
        using var session = gpu.CreateSession(1, Tokens.Length);
        var prefill = await Task.Run(() => session.Prefill(Tokens.AsSpan(0, 4)).ToArray());
        var step = await Task.Run(() => session.Step(Tokens[4]).ToArray());
        var batched = SessionLogits(session, Tokens[..5], 1);
        FamilyForwardTests.AssertClose([prefill.Select(v => (double)v).ToArray(), step.Select(v => (double)v).ToArray()], batched[3..5], 1e-5);
    }

    [Test]
    public void DecodeSteps_AllocateNoManagedMemory()
    {
        // llama2.c's rule: buffers are allocated once per session; the returned logits are a reused buffer. (On the
        // emulated device this covers the session's own code; on the GPU also the launchers and cuBLAS calls.)
        using var gpu = Prepare<Half>(ModelLoader.Load<float>(SharedPaths.Get("models", "stories260K", "stories260K.bin")));
        using var session = gpu.CreateSession(1, 128);
        session.Prefill([1, 400, 32]);
        for (int i = 0; i < 8; i++)
            session.Step(10 + i);   // warm-up: JIT, first launches
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 32; i++)
            session.Step(20 + i);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero, "bytes allocated by 32 decode steps");
    }

    [Test]
    public void Dispose_IsIdempotent_AndUseAfterDisposeThrows()
    {
        var gpu = Prepare<float>(InvarianceTests.Synthetic<float>("opt"));
        var session = gpu.CreateSession(1, 8);
        session.Dispose();
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Prefill([1, 2]));
        gpu.Dispose();
        gpu.Dispose();
        Assert.That(gpu.IsReleased, Is.True);
        Assert.Throws<ObjectDisposedException>(() => gpu.CreateSession(1, 8));
    }

    [Test]
    public void SessionsKeepTheirModelAlive_AndEverythingIsFreedAtTheEnd()
    {
        // The owner may be disposed first (a server shutting down with requests in flight): the weights go only with
        // the last session.
        int blocksBefore = (Gpu as EmulatedGpu)?.LiveBlocks ?? 0;
        var gpu = Prepare<float>(InvarianceTests.Synthetic<float>("llama"));
        var session = gpu.CreateSession(1, Tokens.Length);
        var other = gpu.CreateSession(2, 4);
        var before = SessionLogits(session, Tokens, 1);
        gpu.Dispose();
        Assert.That(gpu.IsReleased, Is.False);
        FamilyForwardTests.AssertClose(SessionLogits(session, Tokens, 1), before, 1e-6);
        session.Dispose();
        Assert.That(gpu.IsReleased, Is.False, "the other session still holds the weights");
        other.Dispose();
        Assert.That(gpu.IsReleased, Is.True);
        if (Gpu is EmulatedGpu emulated)
        {
            Assert.That(emulated.LiveBlocks, Is.EqualTo(blocksBefore), "every arena freed");
            Assert.That(emulated.LiveQueues, Is.Zero, "every queue disposed");
        }
    }

    [Test]
    public void BadInput_IsRejectedOnTheHost_WithTheCpuSessionsExceptions()
    {
        using var gpu = Prepare<float>(InvarianceTests.Synthetic<float>("llama"));
        using var session = gpu.CreateSession(2, 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Prefill([1, 40]));      // vocabulary is 40
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Prefill(new int[7]));   // past maxSeqLen
        Assert.Throws<ArgumentException>(() => session.RowNegLogLikelihoods(new int[11], 2, 6, new double[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.CreateSession(1, 1000));   // past the model's 32 positions
        Assert.That(session.Prefill([1, 2]).Length, Is.EqualTo(40), "the session still works after rejected calls");
        Assert.That(session.Position, Is.EqualTo(2));
    }
}

/// <summary>The lifecycle tests on the GPU.</summary>
[Category("Gpu")]
public sealed class CudaSessionLifecycleTests() : SessionLifecycleTests(TestDevice.Cuda);

/// <summary>The lifecycle tests on the emulated device.</summary>
public sealed class EmulatedSessionLifecycleTests() : SessionLifecycleTests(TestDevice.Emulated);
