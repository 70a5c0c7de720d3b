using SliceGpt.Runtime.Diagnostics;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Tests.Inference;
using SliceGpt.Runtime.Tests.Slicing;
using SliceGpt.Runtime.Tokenization;
using SliceGpt.Runtime.Numerics;

namespace SliceGpt.Runtime.Tests.Diagnostics;

/// <summary>
/// Non-finite numbers in a forward pass: <see cref="NonFiniteLocator"/> names the first stage that holds them, and
/// <see cref="NonFiniteGuard"/> turns NaN logits or losses into a <see cref="NonFiniteValueException"/> naming that layer,
/// while leaving a healthy model's results bit for bit as they were.
/// </summary>
public class NonFiniteDiagnosticsTests
{
    private static readonly int[] Tokens = [1, 7, 3, 22, 9, 9, 15, 4, 30, 2, 11, 5];

    // ±3e38 is finite but any sum of two such products overflows float32: the layer's output becomes ±Infinity or NaN.
    private static void Overflow(Matrix<float> weight)
    {
        for (int i = 0; i < weight.Data.Length; i++)
            weight.Data[i] = i % 2 == 0 ? 3e38f : -3e38f;
    }

    [TestCase("llama", "layer 1, MLP (block output)")]
    [TestCase("phi3", "layer 1, MLP (block output)")]
    [TestCase("opt", "layer 1, MLP (block output)")]
    [TestCase("phi", "layer 1, block output")]
    public void Locate_NamesTheLayerWhoseMlpOverflows(string family, string where)
    {
        var model = InvarianceTests.Synthetic<float>(family);
        Assert.That(NonFiniteLocator.Locate(model, Tokens), Is.Null, "a healthy model is finite everywhere");
        Overflow(model.Layers[1].Down.Weight);
        var origin = NonFiniteLocator.Locate(model, Tokens)!;
        Assert.That((origin.Layer, origin.Where, origin.Position), Is.EqualTo((1, where, 0)));
        Assert.That(float.IsFinite(origin.Value), Is.False);
    }

    [Test]
    public void Locate_NamesTheAttentionHalf_WhenItOverflowsFirst()
    {
        var model = InvarianceTests.Synthetic<float>("llama");
        Overflow(model.Layers[0].AttentionOut.Weight);
        Assert.That(NonFiniteLocator.Locate(model, Tokens)!.Where, Is.EqualTo("layer 0, attention (mid-block residual)"));
    }

    [Test]
    public void Locate_NamesTheHead_WhenOnlyTheLogitsOverflow()
    {
        var model = InvarianceTests.Synthetic<float>("llama");
        Overflow(model.Head.Weight);
        var origin = NonFiniteLocator.Locate(model, Tokens)!;
        Assert.That((origin.Layer, origin.Where), Is.EqualTo((model.Layers.Length, "the head's logits")));
    }

    [Test]
    public void Locate_FindsTheLayerFromASingleToken()
    {
        var model = InvarianceTests.Synthetic<float>("llama");
        Overflow(model.Layers[1].Down.Weight);
        Assert.That(NonFiniteLocator.Locate(model, [5])!.Where, Is.EqualTo("layer 1, MLP (block output)"));
    }

    [Test]
    public void Locate_WorksOnASlicedModel()
    {
        var model = InvarianceTests.Synthetic<float>("llama");
        var sliced = SliceGptPipeline.Slice(model, InvarianceTests.Calibration(model.Config.VocabSize), new SlicingOptions { Sparsity = 0.25 }).Model;
        Assert.That(NonFiniteLocator.Locate(sliced, Tokens), Is.Null);
        Overflow(sliced.Layers[1].Down.Weight);
        Assert.That(NonFiniteLocator.Locate(sliced, Tokens)!.Where, Is.EqualTo("layer 1, MLP (block output)"));
    }

    [Test]
    public void Guard_LeavesAHealthyModelsResultsBitForBit()
    {
        var model = InvarianceTests.Synthetic<float>("llama");
        using var plain = new CpuExecutableModel<float>(model);
        using var checkedModel = NonFiniteGuard.Checked(new CpuExecutableModel<float>(model), model);
        var rows = Tokens.Concat(Tokens.Reverse()).ToArray();
        Assert.That(PerplexityEvaluator.Evaluate(checkedModel, rows, 12, batch: 2).Perplexity,
            Is.EqualTo(PerplexityEvaluator.Evaluate(plain, rows, 12, batch: 2).Perplexity));
        using var a = plain.CreateSession(1, 16);
        using var b = checkedModel.CreateSession(1, 16);
        Assert.That(b.Prefill(Tokens).ToArray(), Is.EqualTo(a.Prefill(Tokens).ToArray()));
        Assert.That(b.Step(3).ToArray(), Is.EqualTo(a.Step(3).ToArray()));
        Assert.That((b.Position, b.MaxSeqLen, b.MaxBatch, b.Backend), Is.EqualTo((a.Position, a.MaxSeqLen, a.MaxBatch, a.Backend)));
    }

    [Test]
    public void Guard_PerplexityOfAnOverflowingModel_IsATypedErrorNamingTheLayer()
    {
        var model = InvarianceTests.Synthetic<float>("opt");
        Overflow(model.Layers[1].Down.Weight);
        using var executable = NonFiniteGuard.Checked(new CpuExecutableModel<float>(model), model);
        var e = Assert.Throws<NonFiniteValueException>(() => PerplexityEvaluator.Evaluate(executable, Tokens, 12))!;
        Assert.That(e.Layer, Is.EqualTo(1));
        Assert.That(e.Message, Does.Contain("non-finite loss").And.Contain("layer 1, MLP (block output)").And.Contain("cpu"));
    }

    [Test]
    public void Guard_GenerationFromAnOverflowingModel_IsATypedErrorNamingTheLayer()
    {
        var model = InvarianceTests.Synthetic<float>("phi");
        Overflow(model.Layers[0].Up.Weight);
        using var executable = NonFiniteGuard.Checked(new CpuExecutableModel<float>(model), model);
        using var session = executable.CreateSession(1, 16);
        var e = Assert.Throws<NonFiniteValueException>(() => TextGenerator.Generate(session, new DigitTokenizer(), "123", new GenerationOptions(Steps: 4)))!;
        Assert.That((e.Layer, e.Location), Is.EqualTo(((int?)0, "layer 0, block output")));
        Assert.That(e.Message, Does.Contain("non-finite logits"));
    }

    // The batched-session contract, run through the guard: it must be transparent on every path it wraps.
    private static readonly BatchedSessionChecks.SessionFactory Guarded = (model, slots, maxSeqLen) =>
        NonFiniteGuard.Checked(new CpuExecutableModel<float>(model), model).CreateSession(slots, maxSeqLen);

    [TestCase("llama")]
    [TestCase("phi")]
    public void Guard_IsTransparent_OnRaggedPassesScoringAndCopiedSlots(string family)
    {
        BatchedSessionChecks.RaggedPasses_GiveEachSequenceItsAloneLogits(family, Guarded, BatchedSessionChecks.Fp32Tolerance);
        BatchedSessionChecks.AChunkStartingEarlier_RewindsTheSlot(family, Guarded, BatchedSessionChecks.Fp32Tolerance);
        BatchedSessionChecks.ScoreTargets_MatchTheLogSoftmaxOfTheReference(family, Guarded, BatchedSessionChecks.Fp32Tolerance);
        BatchedSessionChecks.CopiedSlots_ContinueTheSharedPrefix(family, Guarded, BatchedSessionChecks.Fp32Tolerance);
        BatchedSessionChecks.ScoringSessions_ScoreAsFullSessions(family, model => NonFiniteGuard.Checked(new CpuExecutableModel<float>(model), model));
        BatchedSessionChecks.MalformedBatches_AreRefused(Guarded);
    }

    [Test]
    public void Guard_BatchedForwardAndScoring_OfAnOverflowingModel_NameTheLayer()
    {
        var model = InvarianceTests.Synthetic<float>("llama");
        Overflow(model.Layers[1].Down.Weight);
        using var executable = NonFiniteGuard.Checked(new CpuExecutableModel<float>(model), model);
        using var session = executable.CreateSession(2, 16);
        var logits = new float[2 * model.Config.VocabSize];
        var forward = Assert.Throws<NonFiniteValueException>(() =>
            session.Forward([new SequenceChunk(0, 0, 5), new SequenceChunk(1, 0, 3)], [1, 7, 3, 22, 9, 4, 30, 2], logits))!;
        Assert.That((forward.Layer, forward.Location), Is.EqualTo(((int?)1, "layer 1, MLP (block output)")));
        var scoring = Assert.Throws<NonFiniteValueException>(() =>
            session.ScoreTargets([new SequenceChunk(1, 0, 4)], [1, 7, 3, 22], [7, 3, 22, 9], new double[4]))!;
        Assert.That(scoring.Message, Does.Contain("non-finite log-probability").And.Contain("layer 1, MLP (block output)"));
    }

    // Digits 0–9 are ids 10–19; BOS 1, EOS 2: enough to drive TextGenerator over a 40-token synthetic vocabulary.
    private sealed class DigitTokenizer : ITokenizer
    {
        public int VocabSize => 40;

        public int? BosId => 1;

        public int? EosId => 2;

        public bool AddsBosByDefault => true;

        public int[] Encode(string text, bool addBos) => [.. (addBos ? [1] : Array.Empty<int>()), .. text.Where(char.IsAsciiDigit).Select(c => 10 + c - '0')];

        public string Decode(ReadOnlySpan<int> ids) => string.Concat(ids.ToArray().Where(i => i is >= 10 and < 20).Select(i => (char)('0' + i - 10)));
    }
}
