using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Inference.Cpu;

namespace SliceGpt.Runtime.Tests.Inference;

/// <summary><see cref="BatchedSessionChecks"/> on the CPU backend (float32), with a contiguous KV cache and with a paged one.</summary>
[TestFixture(false)]
[TestFixture(true)]
public class CpuBatchedSessionTests(bool paged)
{
    // Paged: blocks of 3 positions, so sequences of up to 10 cross block boundaries within a chunk and between passes.
    private BatchedSessionChecks.SessionFactory Cpu => (model, slots, maxSeqLen) => paged
        ? new CpuSession<float>(model, new SessionOptions(slots, maxSeqLen) { KvBlockSize = 3 })
        : new CpuSession<float>(model, slots, maxSeqLen);

    [TestCase("llama")]
    [TestCase("opt")]
    [TestCase("phi")]
    public void RaggedPasses_GiveEachSequenceItsAloneLogits(string family) =>
        BatchedSessionChecks.RaggedPasses_GiveEachSequenceItsAloneLogits(family, Cpu, BatchedSessionChecks.Fp32Tolerance);

    [TestCase("llama")]
    [TestCase("opt")]
    public void AChunkStartingEarlier_RewindsTheSlot(string family) =>
        BatchedSessionChecks.AChunkStartingEarlier_RewindsTheSlot(family, Cpu, BatchedSessionChecks.Fp32Tolerance);

    [TestCase("llama")]
    [TestCase("phi")]
    public void ScoreTargets_MatchTheLogSoftmaxOfTheReference(string family) =>
        BatchedSessionChecks.ScoreTargets_MatchTheLogSoftmaxOfTheReference(family, Cpu, BatchedSessionChecks.Fp32Tolerance);

    [TestCase("llama")]
    [TestCase("opt")]
    public void CopiedSlots_ContinueTheSharedPrefix(string family) =>
        BatchedSessionChecks.CopiedSlots_ContinueTheSharedPrefix(family, Cpu, BatchedSessionChecks.Fp32Tolerance);

    [TestCase("llama")]
    [TestCase("phi")]
    public void ScoringSessions_ScoreAsFullSessions(string family) =>
        BatchedSessionChecks.ScoringSessions_ScoreAsFullSessions(family, model => new CpuBackend().Prepare(model));

    [Test]
    public void AProfiledSession_AccountsForEveryOperation() =>
        BatchedSessionChecks.AProfiledSession_AccountsForEveryOperation((model, options) => new CpuSession<float>(model, options));

    [Test]
    public void MalformedBatches_AreRefused() => BatchedSessionChecks.MalformedBatches_AreRefused(Cpu);

    [Test]
    public void AnExhaustedPool_RefusesThePass_UntilASlotIsReleased()
    {
        var model = SliceGpt.Runtime.Tests.Slicing.InvarianceTests.Synthetic<float>("llama");
        using var session = new CpuSession<float>(model, new SessionOptions(2, 8) { KvBlockSize = 4, KvBlocks = 2 });
        var logits = new float[2 * model.Config.VocabSize];
        session.Forward([new SequenceChunk(0, 0, 8)], [1, 2, 3, 4, 5, 6, 7, 8], logits);
        Assert.That(session.FreeKvBlocks, Is.Zero);
        Assert.Throws<KvCacheExhaustedException>(() => session.Forward([new SequenceChunk(1, 0, 1)], [1], logits));
        Assert.That(session.SlotLength(1), Is.Zero, "the refused pass changed nothing");
        session.ReleaseSlot(0);
        Assert.That((session.FreeKvBlocks, session.SlotLength(0)), Is.EqualTo((2, 0)));
        session.Forward([new SequenceChunk(1, 0, 1)], [1], logits);
        Assert.That(session.SlotLength(1), Is.EqualTo(1));
    }

    [Test]
    public void DisposedSessions_Throw() => BatchedSessionChecks.DisposedSessions_Throw(Cpu);
}
