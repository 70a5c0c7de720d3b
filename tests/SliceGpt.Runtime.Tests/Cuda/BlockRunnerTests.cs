using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Inference.Cuda;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Tests.Slicing;
using SliceGpt.Runtime.Tests.Support;

namespace SliceGpt.Runtime.Tests.Cuda;

/// <summary>
/// The single-block runners the slicing pipeline uses (EmbedRows, AttentionResidual, MlpResidual, ParallelBlock) on
/// device buffers, against CpuSession's, for a model's own sliced blocks and for a separately uploaded probe block.
/// </summary>
public abstract class BlockRunnerTests(TestDevice device) : SessionTestBase(device)
{
    private const int Batch = 2, SeqLen = 7, N = Batch * SeqLen;

    // fp32 on both sides through one block: ~1e-6 relative; 1e-4 relative to the largest value.
    private const double Tolerance = 1e-4;

    [Test]
    public void EmbedRows_WithLearnedPositions_MatchesTheCpu()
    {
        var model = InvarianceTests.Synthetic<float>("opt");
        var tokens = Tokens(model);
        using var gpu = Prepare<float>(model);
        using var session = gpu.CreateBlockSession(Batch, SeqLen);
        var (block, output) = Allocate(N * model.Embedding.Cols);
        using var _ = block;
        session.EmbedRows(tokens, Batch, SeqLen, output);
        var expected = new float[N * model.Embedding.Cols];
        using (var cpu = new CpuSession<float>(model, Batch, SeqLen, cachedLayers: 1))
            cpu.EmbedRows(tokens, Batch, SeqLen, expected);
        AssertClose(Read(session, block), expected);
    }

    [TestCase(0)]
    [TestCase(1)]
    public void SequentialHalves_OfASlicedLlama_MatchTheCpu(int l)
    {
        var model = Sliced("llama");
        var layer = model.Layers[l];
        using var gpu = Prepare<float>(model);
        using var session = gpu.CreateBlockSession(Batch, SeqLen);
        var x = Random(N * layer.DIn, 11);
        var h = Random(N * layer.DMid, 12);
        using var cpu = new CpuSession<float>(model, Batch, SeqLen, cachedLayers: 1);
        var expectedMid = new float[N * layer.DMid];
        var expectedY = new float[N * layer.DOut];
        cpu.AttentionResidual(layer, x, expectedMid, Batch, SeqLen);
        cpu.MlpResidual(layer, h, expectedY, N);

        var (xBlock, dx) = Upload(x);
        var (hBlock, dh) = Upload(h);
        var (midBlock, mid) = Allocate(N * layer.DMid);
        var (yBlock, y) = Allocate(N * layer.DOut);
        using (xBlock)
        using (hBlock)
        using (midBlock)
        using (yBlock)
        {
            session.AttentionResidual(gpu.Weights.Layers[l], dx, mid, Batch, SeqLen);
            session.MlpResidual(gpu.Weights.Layers[l], dh, y, N);
            AssertClose(Read(session, midBlock), expectedMid);
            AssertClose(Read(session, yBlock), expectedY);
        }
    }

    [Test]
    public void ParallelBlock_OfAnUploadedProbeLayer_MatchesTheCpu()
    {
        // The pipeline's probes are blocks that exist only on the host (partially rotated); they are uploaded on
        // their own and run through a session of the fused model.
        var fused = ModelFusion.Fuse(InvarianceTests.Synthetic<float>("phi", Spec("phi")));
        var probe = Sliced("phi").Layers[1];
        Assert.That(probe.DIn, Is.LessThan(fused.Config.Dim), "a sliced block, narrower than the fused model");
        using var gpu = Prepare<float>(fused);
        using var session = gpu.CreateBlockSession(Batch, SeqLen);
        using var upload = gpu.UploadLayer(probe);
        var x = Random(N * probe.DIn, 13);
        var expected = new float[N * probe.DOut];
        using (var cpu = new CpuSession<float>(fused, Batch, SeqLen, cachedLayers: 1))
            cpu.ParallelBlock(probe, x, expected, Batch, SeqLen);
        var (xBlock, dx) = Upload(x);
        var (yBlock, y) = Allocate(N * probe.DOut);
        using (xBlock)
        using (yBlock)
        {
            session.ParallelBlock(upload.Layer, dx, y, Batch, SeqLen);
            AssertClose(Read(session, yBlock), expected);
        }
    }

    [Test]
    public void BlockRunners_RejectBlocksWiderThanTheSession()
    {
        // With the head sliced too, every residual of the model is narrower than the dense block's.
        var dense = InvarianceTests.Synthetic<float>("llama", Spec("llama"));
        using var narrow = Prepare<float>(Sliced("llama", sliceHead: true));
        using var session = narrow.CreateBlockSession(Batch, SeqLen);
        using var wide = narrow.UploadLayer(dense.Layers[0]);
        var (block, x) = Allocate(N * dense.Config.Dim);
        using var _ = block;
        Assert.Throws<ArgumentException>(() => session.AttentionResidual(wide.Layer, x, x, Batch, SeqLen));
    }

    private static void AssertClose(float[] actual, float[] expected)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        double scale = expected.Max(v => Math.Abs((double)v));
        double worst = actual.Zip(expected, (a, e) => Math.Abs((double)a - e)).Max() / scale;
        Assert.That(worst, Is.LessThanOrEqualTo(Tolerance), $"max |Δ| relative to max |value| {scale:G4}");
    }

    private static int[] Tokens(TransformerModel<float> model)
    {
        var rng = new Random(2);
        return Enumerable.Range(0, N).Select(_ => rng.Next(model.Config.VocabSize)).ToArray();
    }

    private static float[] Random(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    private static SyntheticSpec Spec(string family) => new(family, Dim: 32, Hidden: 40);

    private static TransformerModel<float> Sliced(string family, bool sliceHead = false)
    {
        var model = InvarianceTests.Synthetic<float>(family, Spec(family));
        var options = new SlicingOptions { Sparsity = 0.25, SliceHead = sliceHead };
        return SliceGptPipeline.Slice(model, InvarianceTests.Calibration(model.Config.VocabSize), options).Model;
    }
}

/// <summary>The block runners on the GPU.</summary>
[Category("Gpu")]
public sealed class CudaBlockRunnerTests() : BlockRunnerTests(TestDevice.Cuda);

/// <summary>The block runners on the emulated device.</summary>
public sealed class EmulatedBlockRunnerTests() : BlockRunnerTests(TestDevice.Emulated);
