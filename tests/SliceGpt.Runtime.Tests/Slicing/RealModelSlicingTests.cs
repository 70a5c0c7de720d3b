using SliceGpt.Runtime.Diagnostics;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Tests.Inference;
using SliceGpt.Runtime.Tokenization;
using SliceGpt.Runtime.Architectures;
using SliceGpt.Runtime.Numerics;

namespace SliceGpt.Runtime.Tests.Slicing;

/// <summary>Slicing the real trained checkpoints: invariance at sparsity 0 and perplexity that degrades with sparsity.</summary>
public class RealModelSlicingTests
{
    private static readonly string Text = File.ReadAllText(SharedPaths.Get("data", "tinystories-valid-sample", "tinystories_val.txt"));

    [TestCase("stories260K", "stories260K.bin", "tok512.bin")]
    [TestCase("babyllama-tok105", "model5000.bin", "tok105.bin")]
    [TestCase("opt-tiny-ts", null, "tok512.bin")]
    [TestCase("phi-tiny-ts", null, "tok512.bin")]
    public void SparsityZero_Float64_KeepsTheLogits(string folder, string? file, string tokenizerFile)
    {
        var path = file is null ? SharedPaths.Get("models", folder) : SharedPaths.Get("models", folder, file);
        var model = ModelLoader.Load<double>(path);
        var tokenizer = TokenizerLoader.Load(SharedPaths.Get("models", folder, tokenizerFile));
        var (calibrationText, evaluation) = HoldoutSplit.Split(Text, 0.25);
        var calibration = CalibrationSet.FirstRows(tokenizer.Encode(calibrationText, true), 128, 8);
        var sliced = SliceGptPipeline.Slice(model, calibration, new SlicingOptions { Sparsity = 0 }).Model;
        var probe = tokenizer.Encode(evaluation[..200], true); // ≤ 200 tokens: babyllama is character-level with 256 positions
        // float64 throughout: 1e-10 relative to the largest logit (see InvarianceTests).
        FamilyForwardTests.AssertClose(FamilyForwardTests.RunLogits(sliced, probe), FamilyForwardTests.RunLogits(model, probe), 1e-10);
    }

    [Test]
    public void Stories260K_PerplexityDoesNotDecreaseAsSparsityGrows()
    {
        var model = ModelLoader.Load<float>(SharedPaths.Get("models", "stories260K", "stories260K.bin"));
        var tokenizer = TokenizerLoader.Load(SharedPaths.Get("models", "stories260K", "tok512.bin"));
        var (calibrationText, evaluationText) = HoldoutSplit.Split(Text, 0.25);
        var calibration = CalibrationSet.FirstRows(tokenizer.Encode(calibrationText, true), 256, 32);
        var evaluation = tokenizer.Encode(evaluationText, true);
        double Perplexity(TransformerModel<float> m) =>
            PerplexityEvaluator.Evaluate(new CpuExecutableModel<float>(m), evaluation, 256, maxRows: 32, batch: 8).Perplexity;
        var ppl = new List<double> { Perplexity(model) };
        foreach (var sparsity in new[] { 0.1, 0.25, 0.5 })
            ppl.Add(Perplexity(SliceGptPipeline.Slice(model, calibration, new SlicingOptions { Sparsity = sparsity }).Model));
        TestContext.Out.WriteLine($"dense, 10%, 25%, 50%: {string.Join(", ", ppl.Select(p => p.ToString("F4")))}");
        Assert.That(ppl, Is.Ordered.Ascending);
        Assert.That(ppl[^1], Is.GreaterThan(ppl[0] * 1.05), "removing half the width must cost something measurable");
    }

    [Test]
    public void NonFiniteActivations_AreATypedErrorNamingTheSignal()
    {
        var model = InvarianceTests.Synthetic<float>("llama");
        model.Embedding.Data[3 * model.Embedding.Cols] = float.NaN; // token 3's embedding
        var calibration = new CalibrationSet([1, 3, 5, 7, 2, 4, 6, 8], 2, 4);
        var e = Assert.Throws<NonFiniteValueException>(() => SliceGptPipeline.Slice(model, calibration, new SlicingOptions { Sparsity = 0.25 }))!;
        Assert.That(e.Message, Does.Contain("embeddings").And.Contain("not finite").And.Contain("before its eigendecomposition"));
        Assert.That(e.Location, Is.EqualTo("embeddings"));
    }

    [Test]
    public void CalibrationShorterThanOneRow_IsRefused()
    {
        var e = Assert.Throws<SlicingException>(() => CalibrationSet.FirstRows([1, 2, 3], 16, 4))!;
        Assert.That(e.Message, Does.Contain("fewer than one row of 16"));
    }

    [Test]
    public void RandomCalibrationWindows_AreSeededAndFull()
    {
        var tokenizer = TokenizerLoader.Load(SharedPaths.Get("models", "stories260K", "tok512.bin"));
        var a = CalibrationSet.RandomWindows(Text[..100_000], tokenizer, 256, 8, seed: 42);
        var b = CalibrationSet.RandomWindows(Text[..100_000], tokenizer, 256, 8, seed: 42);
        var c = CalibrationSet.RandomWindows(Text[..100_000], tokenizer, 256, 8, seed: 43);
        Assert.That((a.Rows, a.SeqLen, a.Tokens.Length), Is.EqualTo((8, 256, 8 * 256)));
        Assert.That(b.Tokens, Is.EqualTo(a.Tokens));
        Assert.That(c.Tokens, Is.Not.EqualTo(a.Tokens));
        Assert.That(Enumerable.Range(0, 8).All(r => a.Tokens[r * 256] == 1), "each window starts with BOS, as the reference tokenizes each sample");
    }

    [Test]
    public void StreamingTheCheckpoint_EqualsSlicingTheLoadedModel()
    {
        var path = SharedPaths.Get("models", "phi-tiny-ts");
        var tokenizer = TokenizerLoader.Load(SharedPaths.Get("models", "phi-tiny-ts", "tok512.bin"));
        var calibration = CalibrationSet.FirstRows(tokenizer.Encode(Text[..60_000], true), 128, 8);
        var options = new SlicingOptions { Sparsity = 0.25 };
        var streamed = SliceGptPipeline.SliceCheckpoint(path, calibration, options);
        var loaded = SliceGptPipeline.Slice(ModelLoader.Load<float>(path), calibration, options);
        Assert.That(streamed.Widths, Is.EqualTo(loaded.Widths));
        var probe = tokenizer.Encode(Text[..300], true);
        Assert.That(FamilyForwardTests.RunLogits(streamed.Model, probe), Is.EqualTo(FamilyForwardTests.RunLogits(loaded.Model, probe)),
            "the same blocks through the same operations");
    }
}
