using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Inference.Cuda;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Tests.Inference;
using SliceGpt.Runtime.Tests.Slicing;
using SliceGpt.Runtime.Tests.Support;

namespace SliceGpt.Runtime.Tests.Cuda;

/// <summary>
/// CudaSession on every family's synthetic checkpoint (Llama: GQA, rotate-half; OPT: LayerNorm with bias, learned positions,
/// ReLU; Phi-2: parallel blocks, partial rotary, gelu_new, head bias; Phi-3: fused projections), dense and sliced
/// (shortcut matrices, per-layer widths, RMSNorm over the original width), against the CPU reference.
/// </summary>
public abstract class SessionParityTests(TestDevice device) : SessionTestBase(device)
{
    private static readonly int[] Tokens = [3, 17, 0, 39, 8, 8, 25, 11, 2, 30, 5, 19];

    // fp32 on both sides through 2 small layers: only summation order differs (the emulated device measures
    // 3e-7..4e-7); 1e-4 as for the real model.
    private const double Fp32Tolerance = 1e-4;

    // fp16 storage of weights and activations (unit roundoff 4.9e-4) over 2 layers of random weights: the emulated
    // device, rounding where the kernels round, measures 1.0e-3 (phi) to 2.4e-3 (llama, phi3); 1e-2 as for the
    // real model.
    private const double Fp16Tolerance = 1e-2;

    [TestCase("llama")]
    [TestCase("opt")]
    [TestCase("phi")]
    [TestCase("phi3")]
    public void DenseFp32_LogitsMatchCpu(string family)
    {
        var model = InvarianceTests.Synthetic<float>(family);
        FamilyForwardTests.AssertClose(DeviceLogits(model, Tokens, CudaPrecision.Float32), CpuLogits(model, Tokens), Fp32Tolerance);
    }

    [TestCase("llama")]
    [TestCase("opt")]
    [TestCase("phi")]
    [TestCase("phi3")]
    public void DenseFp16_LogitsMatchCpu(string family)
    {
        var model = InvarianceTests.Synthetic<float>(family);
        FamilyForwardTests.AssertClose(DeviceLogits(model, Tokens, CudaPrecision.Float16), CpuLogits(model, Tokens), Fp16Tolerance);
    }

    [TestCase("llama")]
    [TestCase("opt")]
    [TestCase("phi")]
    [TestCase("phi3")]
    public void SlicedFp32_LogitsMatchCpu(string family)
    {
        var sliced = Sliced(family);
        Assert.That(sliced.Layers[0].DIn, Is.LessThan(sliced.Config.Dim), "the residual really is narrower");
        Assert.That(sliced.Layers[0].AttentionShortcut, Is.Not.Null);
        FamilyForwardTests.AssertClose(DeviceLogits(sliced, Tokens, CudaPrecision.Float32), CpuLogits(sliced, Tokens), Fp32Tolerance);
    }

    [TestCase("llama")]
    [TestCase("phi")]
    public void SlicedFp16_LogitsMatchCpu(string family)
    {
        var sliced = Sliced(family);
        FamilyForwardTests.AssertClose(DeviceLogits(sliced, Tokens, CudaPrecision.Float16), CpuLogits(sliced, Tokens), Fp16Tolerance);
    }

    [TestCase("phi")]
    [TestCase("opt")]
    [TestCase("llama")]
    public void IncrementalDecode_EqualsBatchedPrefill(string family)
    {
        // Same device, same fp32 model: a prefill of 3 then single steps against one batched forward. cuBLAS may pick
        // another algorithm for 1 row than for 12, so summation order differs: 1e-5 relative to the largest logit.
        var model = InvarianceTests.Synthetic<float>(family);
        using var gpu = Prepare<float>(model);
        using var session = gpu.CreateSession(1, Tokens.Length);
        var batched = SessionLogits(session, Tokens, 1);
        session.Reset();
        var first = session.Prefill(Tokens.AsSpan(0, 3)).ToArray();
        var stepped = new List<double[]> { first.Select(v => (double)v).ToArray() };
        for (int i = 3; i < Tokens.Length; i++)
            stepped.Add(session.Step(Tokens[i]).ToArray().Select(v => (double)v).ToArray());
        Assert.That(session.Position, Is.EqualTo(Tokens.Length));
        FamilyForwardTests.AssertClose([.. stepped], batched[2..], 1e-5);
    }

    [Test]
    public void BatchedRows_AreIndependent()
    {
        // Row B in a batch of two against row B alone: the KV cache, positions and attention of one sequence must not
        // see the other's. Same device and precision; 1e-5 covers a different GEMM algorithm for 5 vs 10 rows.
        var model = InvarianceTests.Synthetic<float>("llama");
        int[] rowA = [1, 2, 3, 4, 5], rowB = [9, 8, 7, 6, 5];
        using var gpu = Prepare<float>(model);
        using var both = gpu.CreateSession(2, 5);
        using var alone = gpu.CreateSession(1, 5);
        var batched = SessionLogits(both, [.. rowA, .. rowB], 2);
        FamilyForwardTests.AssertClose(batched[5..], SessionLogits(alone, rowB, 1), 1e-5);
        FamilyForwardTests.AssertClose(batched[..5], CpuLogits(model, rowA), Fp32Tolerance);
    }

    [TestCase("opt")]
    [TestCase("phi3")]
    public void RowNegLogLikelihoods_OfABatch_MatchTheCpu(string family)
    {
        // Per-row sums of −log p over 3 rows of 8: NLL in double on both sides from fp32 logits that differ by ~1e-6
        // relative, so the sums agree to ~1e-5 relative.
        var model = InvarianceTests.Synthetic<float>(family);
        var rng = new Random(3);
        var rows = Enumerable.Range(0, 24).Select(_ => rng.Next(model.Config.VocabSize)).ToArray();
        var expected = new double[3];
        var actual = new double[3];
        using (var cpu = new CpuSession<float>(model, 3, 8))
            cpu.RowNegLogLikelihoods(rows, 3, 8, expected);
        using var gpu = Prepare<float>(model);
        using var session = gpu.CreateSession(3, 8);
        session.RowNegLogLikelihoods(rows, 3, 8, actual);
        for (int b = 0; b < 3; b++)
            Assert.That(actual[b], Is.EqualTo(expected[b]).Within(1e-5 * expected[b]), $"row {b}");
    }

    private static TransformerModel<float> Sliced(string family)
    {
        var model = InvarianceTests.Synthetic<float>(family, new SyntheticSpec(family, Dim: 32, Hidden: 40, Heads: 4, KvHeads: 2));
        var options = new SlicingOptions { Sparsity = 0.25 };
        return SliceGptPipeline.Slice(model, InvarianceTests.Calibration(model.Config.VocabSize), options).Model;
    }
}

/// <summary>The parity tests on the GPU.</summary>
[Category("Gpu")]
public sealed class CudaSessionParityTests() : SessionParityTests(TestDevice.Cuda);

/// <summary>The parity tests on the emulated device: the session's wiring, on any machine.</summary>
public sealed class EmulatedSessionParityTests() : SessionParityTests(TestDevice.Emulated);
