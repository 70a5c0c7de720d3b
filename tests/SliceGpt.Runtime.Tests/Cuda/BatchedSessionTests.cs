using SliceGpt.Runtime.Tests.Inference;

namespace SliceGpt.Runtime.Tests.Cuda;

/// <summary><see cref="BatchedSessionChecks"/> on a CudaSession (fp32): ragged chunks run as one launch per chunk, a decode step of slots 0 … n − 1 as one.</summary>
public abstract class BatchedSessionTests(TestDevice device) : SessionTestBase(device)
{
    private BatchedSessionChecks.SessionFactory Session => (model, slots, maxSeqLen) =>
    {
        var prepared = Prepare<float>(model);
        // The session holds the weights alive; giving up the model's own reference frees them with the session.
        var session = prepared.CreateSession(slots, maxSeqLen);
        prepared.Dispose();
        return session;
    };

    [TestCase("llama")]
    [TestCase("opt")]
    [TestCase("phi")]
    public void RaggedPasses_GiveEachSequenceItsAloneLogits(string family) =>
        BatchedSessionChecks.RaggedPasses_GiveEachSequenceItsAloneLogits(family, Session, BatchedSessionChecks.Fp32Tolerance);

    [TestCase("llama")]
    public void AChunkStartingEarlier_RewindsTheSlot(string family) =>
        BatchedSessionChecks.AChunkStartingEarlier_RewindsTheSlot(family, Session, BatchedSessionChecks.Fp32Tolerance);

    [TestCase("llama")]
    [TestCase("phi")]
    public void ScoreTargets_MatchTheLogSoftmaxOfTheReference(string family) =>
        BatchedSessionChecks.ScoreTargets_MatchTheLogSoftmaxOfTheReference(family, Session, BatchedSessionChecks.Fp32Tolerance);

    [TestCase("opt")]
    public void CopiedSlots_ContinueTheSharedPrefix(string family) =>
        BatchedSessionChecks.CopiedSlots_ContinueTheSharedPrefix(family, Session, BatchedSessionChecks.Fp32Tolerance);

    [TestCase("opt")]
    public void ScoringSessions_ScoreAsFullSessions(string family) =>
        BatchedSessionChecks.ScoringSessions_ScoreAsFullSessions(family, model => Prepare<float>(model));

    [Test]
    public void AProfiledSession_AccountsForEveryOperation() =>
        BatchedSessionChecks.AProfiledSession_AccountsForEveryOperation((model, options) =>
        {
            var prepared = Prepare<float>(model);
            var session = prepared.CreateSession(options);
            prepared.Dispose();
            return session;
        });

    [Test]
    public void MalformedBatches_AreRefused() => BatchedSessionChecks.MalformedBatches_AreRefused(Session);

    [Test]
    public void APagedCache_IsRefusedWithAReason()
    {
        using var prepared = Prepare<float>(SliceGpt.Runtime.Tests.Slicing.InvarianceTests.Synthetic<float>("llama"));
        Assert.That(() => prepared.CreateSession(new SliceGpt.Runtime.Inference.SessionOptions(2, 8) { KvBlockSize = 4 }),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contains("paged KV cache"));
    }

    [Test]
    public void DisposedSessions_Throw() => BatchedSessionChecks.DisposedSessions_Throw(Session);
}

/// <summary>The batched-session checks on the GPU.</summary>
[Category("Gpu")]
public sealed class CudaBatchedSessionTests() : BatchedSessionTests(TestDevice.Cuda);

/// <summary>The batched-session checks on the emulated device: the session's wiring, on any machine.</summary>
public sealed class EmulatedBatchedSessionTests() : BatchedSessionTests(TestDevice.Emulated);
