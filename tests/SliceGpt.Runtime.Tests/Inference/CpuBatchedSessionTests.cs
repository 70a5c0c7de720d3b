using SliceGpt.Runtime.Inference.Cpu;

namespace SliceGpt.Runtime.Tests.Inference;

/// <summary><see cref="BatchedSessionChecks"/> on the CPU backend (float32).</summary>
public class CpuBatchedSessionTests
{
    private static readonly BatchedSessionChecks.SessionFactory Cpu = (model, slots, maxSeqLen) => new CpuSession<float>(model, slots, maxSeqLen);

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
    public void MalformedBatches_AreRefused() => BatchedSessionChecks.MalformedBatches_AreRefused(Cpu);

    [Test]
    public void DisposedSessions_Throw() => BatchedSessionChecks.DisposedSessions_Throw(Cpu);
}
