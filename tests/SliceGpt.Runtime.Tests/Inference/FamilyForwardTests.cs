using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Tests.Support;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Runtime.Tests.Inference;

/// <summary>
/// Each family's forward pass on a synthetic checkpoint (random weights, written as safetensors + config.json)
/// against <see cref="ReferenceTransformer"/>, an independent naive float64 implementation of Hugging Face's
/// semantics: LayerNorm with bias and the position offset (OPT), partial rotary and the parallel residual
/// (Phi-2), fused qkv and gate_up (Phi-3), GQA and rotate-half RoPE (Llama).
/// </summary>
public class FamilyForwardTests
{
    private static readonly int[] Tokens = [3, 17, 0, 39, 8, 8, 25, 11, 2, 30];

    // float64 runtime vs float64 reference: only summation order differs, so agreement to ~1e-12 is expected;
    // 1e-9 relative leaves room for the different order of BLAS reductions without hiding real differences
    // (a wrong offset, rotation or residual changes logits at the 1e-1 level).
    private const double Float64Tolerance = 1e-9;

    // float32 runtime vs float64 reference through 2 layers: rounding of ~1e-7 per operation accumulates to
    // ~1e-5 relative; 1e-4 bounds it.
    private const double Float32Tolerance = 1e-4;

    [TestCase("llama")]
    [TestCase("opt")]
    [TestCase("phi")]
    [TestCase("phi3")]
    public void Float64Logits_MatchTheIndependentReference(string family)
    {
        using var dir = new TempFolder();
        var spec = new SyntheticSpec(family);
        var tensors = SyntheticCheckpoint.Write(dir.Path, spec);
        var expected = new ReferenceTransformer(tensors, spec).Logits(Tokens);
        var model = ModelLoader.Load<double>(dir.Path);
        var actual = RunLogits(model, Tokens);
        AssertClose(actual, expected, Float64Tolerance);
    }

    [TestCase("opt")]
    [TestCase("phi")]
    public void Float32Logits_MatchTheIndependentReference(string family)
    {
        using var dir = new TempFolder();
        var spec = new SyntheticSpec(family);
        var tensors = SyntheticCheckpoint.Write(dir.Path, spec);
        var expected = new ReferenceTransformer(tensors, spec).Logits(Tokens);
        var model = ModelLoader.Load<float>(dir.Path);
        var actual = RunLogits(model, Tokens);
        AssertClose(actual.Select(r => r.Select(v => (double)v).ToArray()).ToArray(), expected, Float32Tolerance);
    }

    [Test]
    public void IncrementalDecode_EqualsBatchedPrefill()
    {
        using var dir = new TempFolder();
        var spec = new SyntheticSpec("phi");
        SyntheticCheckpoint.Write(dir.Path, spec);
        var model = ModelLoader.Load<double>(dir.Path);
        var batched = RunLogits(model, Tokens);
        using var session = new CpuSession<double>(model, 1, Tokens.Length);
        session.Prefill(Tokens.AsSpan(0, 3));
        for (int i = 3; i < Tokens.Length; i++)
        {
            var logits = session.Step(Tokens[i]).ToArray();
            // The step returns float32 logits of the float64 model: compare at float32 resolution.
            for (int v = 0; v < logits.Length; v++)
                Assert.That(logits[v], Is.EqualTo(batched[i][v]).Within(1e-5 * Math.Max(1, Math.Abs(batched[i][v]))), $"position {i}, id {v}");
        }
    }

    [Test]
    public void BatchedRows_AreIndependent()
    {
        using var dir = new TempFolder();
        var spec = new SyntheticSpec("llama");
        SyntheticCheckpoint.Write(dir.Path, spec);
        var model = ModelLoader.Load<double>(dir.Path);
        int[] rowA = [1, 2, 3, 4, 5], rowB = [9, 8, 7, 6, 5];
        using var session = new CpuSession<double>(model, 2, 5);
        var both = new double[2 * 5 * spec.Vocab];
        session.Logits([.. rowA, .. rowB], 2, 5, both);
        var alone = RunLogits(model, rowB);
        for (int i = 0; i < 5; i++)
            for (int v = 0; v < spec.Vocab; v++)
                Assert.That(both[(5 + i) * spec.Vocab + v], Is.EqualTo(alone[i][v]).Within(1e-12));
    }

    internal static T[][] RunLogits<T>(TransformerModel<T> model, int[] tokens)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        using var session = new CpuSession<T>(model, 1, tokens.Length);
        var flat = new T[tokens.Length * model.Config.VocabSize];
        session.Logits(tokens, 1, tokens.Length, flat);
        return Enumerable.Range(0, tokens.Length)
            .Select(i => flat.AsSpan(i * model.Config.VocabSize, model.Config.VocabSize).ToArray()).ToArray();
    }

    internal static void AssertClose(double[][] actual, double[][] expected, double relTol)
    {
        double scale = expected.SelectMany(r => r).Max(Math.Abs);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
            for (int v = 0; v < expected[i].Length; v++)
                worst = Math.Max(worst, Math.Abs(actual[i][v] - expected[i][v]) / scale);
        Assert.That(worst, Is.LessThanOrEqualTo(relTol), $"max |Δ| relative to max |logit| {scale:G4}");
    }
}
