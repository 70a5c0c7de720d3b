using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Tests.Inference;
using SliceGpt.Runtime.Tests.Support;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Runtime.Tests.Slicing;

/// <summary>
/// Computational invariance, the identity SliceGPT rests on: fusion, and rotation by any orthogonal basis with
/// nothing sliced, leave the logits unchanged.
/// </summary>
public class InvarianceTests
{
    internal static readonly int[] Probe = [1, 7, 3, 22, 9, 9, 15, 4, 30, 2, 11, 5];

    // float64: fusion and rotation reorder sums of ~D terms; 1e-10 relative to the largest logit leaves a wide
    // margin over the ~1e-14 rounding and is still 1e8 times below any semantic error.
    private const double Float64Tolerance = 1e-10;

    // float32: rotated weights are rounded to float32 once, products accumulate ~1e-7 relative error per layer.
    private const double Float32Tolerance = 1e-5;

    [TestCase("llama")]
    [TestCase("opt")]
    [TestCase("phi")]
    [TestCase("phi3")]
    public void Fusion_IsExact(string family)
    {
        var model = Synthetic<double>(family);
        var fused = ModelFusion.Fuse(model);
        Assert.That(fused.Layers.All(l => l.AttentionNorm.Weight is null && l.AttentionNorm.Kind == NormKind.RmsNorm));
        FamilyForwardTests.AssertClose(FamilyForwardTests.RunLogits(fused, Probe), FamilyForwardTests.RunLogits(model, Probe), Float64Tolerance);
    }

    [TestCase("llama", Orientation.Pca)]
    [TestCase("opt", Orientation.Pca)]
    [TestCase("phi", Orientation.Pca)]
    [TestCase("phi3", Orientation.Pca)]
    [TestCase("llama", Orientation.Random)]
    [TestCase("opt", Orientation.Random)]
    [TestCase("phi", Orientation.Random)]
    [TestCase("phi3", Orientation.Random)]
    public void SparsityZero_Float64_GivesTheOriginalLogits(string family, Orientation orientation)
    {
        var model = Synthetic<double>(family);
        var sliced = SliceGptPipeline.Slice(model, Calibration(model.Config.VocabSize), new SlicingOptions { Sparsity = 0, Orientation = orientation }).Model;
        Assert.That(sliced.Layers[0].AttentionShortcut, Is.Not.Null, "the rotation really happened");
        FamilyForwardTests.AssertClose(FamilyForwardTests.RunLogits(sliced, Probe), FamilyForwardTests.RunLogits(model, Probe), Float64Tolerance);
    }

    [TestCase("llama")]
    [TestCase("opt")]
    [TestCase("phi")]
    [TestCase("phi3")]
    public void SparsityZero_Float32_GivesTheOriginalLogits(string family)
    {
        var model = Synthetic<float>(family);
        var sliced = SliceGptPipeline.Slice(model, Calibration(model.Config.VocabSize), new SlicingOptions { Sparsity = 0 }).Model;
        FamilyForwardTests.AssertClose(ToDouble(FamilyForwardTests.RunLogits(sliced, Probe)), ToDouble(FamilyForwardTests.RunLogits(model, Probe)), Float32Tolerance);
    }

    internal static TransformerModel<T> Synthetic<T>(string family, SyntheticSpec? spec = null)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        using var dir = new TempFolder();
        SyntheticCheckpoint.Write(dir.Path, spec ?? new SyntheticSpec(family));
        return ModelLoader.Load<T>(dir.Path);
    }

    internal static CalibrationSet Calibration(int vocab, int rows = 6, int seqLen = 16)
    {
        var rng = new Random(5);
        return new CalibrationSet(Enumerable.Range(0, rows * seqLen).Select(_ => rng.Next(vocab)).ToArray(), rows, seqLen);
    }

    internal static double[][] ToDouble(float[][] logits) => logits.Select(r => r.Select(v => (double)v).ToArray()).ToArray();
}
