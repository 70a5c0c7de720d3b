using SliceGpt.Native.Cuda;
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
[Category("Gpu")]
public sealed class CudaBlockTests : CudaTestBase
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
        using var output = Backend.Context.Allocate<float>(N * model.Embedding.Cols);
        session.EmbedRows(tokens, Batch, SeqLen, output);
        var expected = new float[N * model.Embedding.Cols];
        using (var cpu = new CpuSession<float>(model, Batch, SeqLen, cachedLayers: 1))
            cpu.EmbedRows(tokens, Batch, SeqLen, expected);
        AssertClose(Download(session, output), expected);
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

        using var dx = Backend.Context.Upload<float>(x);
        using var dh = Backend.Context.Upload<float>(h);
        using var mid = Backend.Context.Allocate<float>(N * layer.DMid);
        using var y = Backend.Context.Allocate<float>(N * layer.DOut);
        session.AttentionResidual(gpu.Weights.Layers[l], dx, mid, Batch, SeqLen);
        session.MlpResidual(gpu.Weights.Layers[l], dh, y, N);
        AssertClose(Download(session, mid), expectedMid);
        AssertClose(Download(session, y), expectedY);
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
        using var dx = Backend.Context.Upload<float>(x);
        using var y = Backend.Context.Allocate<float>(N * probe.DOut);
        session.ParallelBlock(upload.Layer, dx, y, Batch, SeqLen);
        AssertClose(Download(session, y), expected);
    }

    private static float[] Download(CudaSession<float> session, DeviceBuffer<float> buffer)
    {
        session.Synchronize();
        return buffer.ToArray();
    }

    private static void AssertClose(float[] actual, float[] expected)
    {
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

    private static TransformerModel<float> Sliced(string family)
    {
        var model = InvarianceTests.Synthetic<float>(family, Spec(family));
        return SliceGptPipeline.Slice(model, InvarianceTests.Calibration(model.Config.VocabSize), new SlicingOptions { Sparsity = 0.25 }).Model;
    }
}
