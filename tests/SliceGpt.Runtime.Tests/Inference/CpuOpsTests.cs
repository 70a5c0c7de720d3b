using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Tests.Inference;

/// <summary>Hand-computed checks of the operations in which the families differ.</summary>
public class CpuOpsTests
{
    [Test]
    public void LayerNormWithBias_MatchesHandComputation()
    {
        // x = [1, 2, 3, 4]: mean 2.5, biased variance 1.25, so (x − 2.5)/√(1.25 + 0) = [−1.3416, −0.4472, 0.4472, 1.3416].
        double[] x = [1, 2, 3, 4], gamma = [1, 2, 1, 1], beta = [0, 0, 1, -1];
        var y = new double[4];
        CpuOps<double>.LayerNorm(x, y, 1, 4, gamma, beta, 0);
        double s = 1 / Math.Sqrt(1.25);
        Assert.That(y, Is.EqualTo(new[] { -1.5 * s, -0.5 * s * 2, 0.5 * s + 1, 1.5 * s - 1 }).Within(1e-15));
    }

    [Test]
    public void RmsNorm_DividesByTheOriginalWidthWhenSliced()
    {
        // A sliced row [3, 4] of a model whose original width is 4: the dropped coordinates count as zeros,
        // so the divisor is √((9 + 16)/4) = 2.5, not √(25/2).
        double[] x = [3, 4];
        var y = new double[2];
        CpuOps<double>.RmsNorm(x, y, 1, 2, default, 0, meanDim: 4);
        Assert.That(y, Is.EqualTo(new[] { 1.2, 1.6 }).Within(1e-15));
    }

    [Test]
    public void PartialRotary_RotatesOnlyTheLeadingDims()
    {
        // head_dim 8, rotary dim 4 (Phi-2's factor 0.5), rotate-half: pairs (0,2) and (1,3); dims 4..7 untouched.
        var config = Config(RopeLayout.RotateHalf, headDim: 8, rotaryDim: 4);
        var table = new RopeTable<double>(config, 4);
        double[] q = [1, 2, 3, 4, 5, 6, 7, 8];
        CpuOps<double>.Rope(q, 1, 8, 0, 1, table, [1]);
        // position 1: inv_freq = [1, 10000^(−1/2) = 0.01].
        double c0 = Math.Cos(1), s0 = Math.Sin(1), c1 = Math.Cos(0.01), s1 = Math.Sin(0.01);
        Assert.That(q, Is.EqualTo(new[] { 1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 1 * s0 + 3 * c0, 2 * s1 + 4 * c1, 5, 6, 7, 8 }).Within(1e-14));
    }

    [Test]
    public void InterleavedRope_RotatesAdjacentPairs()
    {
        var config = Config(RopeLayout.Interleaved, headDim: 4, rotaryDim: 4);
        var table = new RopeTable<double>(config, 3);
        double[] k = [1, 2, 3, 4];
        CpuOps<double>.Rope(k, 1, 4, 0, 1, table, [2]);
        double c0 = Math.Cos(2), s0 = Math.Sin(2), c1 = Math.Cos(0.02), s1 = Math.Sin(0.02);
        Assert.That(k, Is.EqualTo(new[] { 1 * c0 - 2 * s0, 1 * s0 + 2 * c0, 3 * c1 - 4 * s1, 3 * s1 + 4 * c1 }).Within(1e-14));
    }

    [Test]
    public void GeluNewAndSiluMul_MatchTheirFormulas()
    {
        double[] x = [-1, 0, 2];
        CpuOps<double>.GeluNew(x);
        double G(double v) => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
        Assert.That(x, Is.EqualTo(new[] { G(-1), 0, G(2) }).Within(1e-15));

        double[] gateUp = [1, -2, 3, 4]; // gate [1, −2], up [3, 4]
        var o = new double[2];
        CpuOps<double>.SiluMul(gateUp, o, 1, 2);
        Assert.That(o, Is.EqualTo(new[] { 1 / (1 + Math.Exp(-1)) * 3, -2 / (1 + Math.Exp(2)) * 4 }).Within(1e-15));
    }

    [Test]
    public void Llama3RopeScaling_KeepsHighFrequenciesAndDividesLowOnes()
    {
        var config = Config(RopeLayout.RotateHalf, headDim: 128, rotaryDim: 128) with
        {
            RopeTheta = 500000,
            RopeScaling = new Llama3RopeScaling(8, 1, 4, 8192),
        };
        var plain = RopeTable<double>.InverseFrequencies(config with { RopeScaling = null });
        var scaled = RopeTable<double>.InverseFrequencies(config);
        Assert.That(scaled[0], Is.EqualTo(plain[0]), "wavelength 2π < 8192/4: unchanged");
        Assert.That(scaled[63], Is.EqualTo(plain[63] / 8).Within(1e-18), "longest wavelength > 8192: divided by the factor");
    }

    private static ModelConfig Config(RopeLayout layout, int headDim, int rotaryDim) => new()
    {
        Family = ArchitectureFamily.Llama, ArchitectureName = "test", Dim = headDim, HiddenDim = 1, NLayers = 1, NHeads = 1,
        NKvHeads = 1, HeadDim = headDim, VocabSize = 1, MaxSeqLen = 8, NormEps = 1e-5, Norm = NormKind.RmsNorm,
        Block = BlockKind.Sequential, Activation = MlpActivation.SiluGated, Rope = layout, RotaryDim = rotaryDim,
    };
}
