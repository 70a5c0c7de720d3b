using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Tests.Inference;
using SliceGpt.Runtime.Tests.Support;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Runtime.Tests.Slicing;

/// <summary>Sliced checkpoints: written atomically, loaded back exactly, the input never touched.</summary>
public class SlicedCheckpointTests
{
    private static readonly SlicingOptions Quarter = new() { Sparsity = 0.25, RoundTo = 4 };

    internal static SliceMetadata Metadata(SlicingOptions options, IReadOnlyList<LayerWidths> widths) =>
        options.ToMetadata(new CalibrationInfo("first", "synthetic", 6, 16), widths);

    // A synthetic dense checkpoint of <family> in dir/dense, sliced 25%; the output folder is dir/sliced (not yet written).
    private static (string Source, SlicingResult<float> Result, string Output) SliceSynthetic(TempFolder dir, string family)
    {
        var source = Path.Combine(dir.Path, "dense");
        SyntheticCheckpoint.Write(source, new SyntheticSpec(family));
        var model = ModelLoader.Load<float>(source);
        return (source, SliceGptPipeline.Slice(model, InvarianceTests.Calibration(model.Config.VocabSize), Quarter), Path.Combine(dir.Path, "sliced"));
    }

    [TestCase("llama")]
    [TestCase("opt")]
    [TestCase("phi")]
    [TestCase("phi3")]
    public void SaveThenLoad_GivesBitIdenticalLogits(string family)
    {
        using var dir = new TempFolder();
        var (source, result, output) = SliceSynthetic(dir, family);
        SlicedCheckpointWriter.Write(result.Model, Metadata(Quarter, result.Widths), source, null, output, TensorDType.F32, force: false);

        var loaded = ModelLoader.Load<float>(output);
        Assert.That(loaded.Config.Slicing!.Widths, Is.EqualTo(result.Widths));
        Assert.That(loaded.ParameterCount, Is.EqualTo(result.Model.ParameterCount));
        var expected = FamilyForwardTests.RunLogits(result.Model, InvarianceTests.Probe);
        var actual = FamilyForwardTests.RunLogits(loaded, InvarianceTests.Probe);
        Assert.That(actual, Is.EqualTo(expected), "float32 storage of float32 weights is exact, so the logits are bit-identical");
    }

    [Test]
    public void Llama2cModel_IsSavedInHuggingFaceLayout_WithTheSameLogits()
    {
        using var dir = new TempFolder();
        var source = SharedPaths.Get("models", "stories260K", "stories260K.bin");
        var model = ModelLoader.Load<float>(source);
        var result = SliceGptPipeline.Slice(model, InvarianceTests.Calibration(512, rows: 4, seqLen: 32), Quarter);
        var output = Path.Combine(dir.Path, "sliced");
        SlicedCheckpointWriter.Write(result.Model, Metadata(Quarter, result.Widths), source, null, output, TensorDType.F32, force: false);
        var loaded = ModelLoader.Load<float>(output);
        Assert.That(loaded.Config.Rope, Is.EqualTo(RopeLayout.RotateHalf));
        // The q/k rows were permuted, so BLAS sums the same products in another order: float32 rounding only.
        FamilyForwardTests.AssertClose(InvarianceTests.ToDouble(FamilyForwardTests.RunLogits(loaded, InvarianceTests.Probe)),
            InvarianceTests.ToDouble(FamilyForwardTests.RunLogits(result.Model, InvarianceTests.Probe)), 1e-5);
    }

    [Test]
    public void SameInputsAndSeed_GiveByteIdenticalFolders()
    {
        using var dir = new TempFolder();
        var source = Path.Combine(dir.Path, "dense");
        SyntheticCheckpoint.Write(source, new SyntheticSpec("opt"));
        var options = Quarter with { Orientation = Orientation.Random, Seed = 9 };
        foreach (var name in new[] { "a", "b" })
        {
            var model = ModelLoader.Load<float>(source);
            var result = SliceGptPipeline.Slice(model, InvarianceTests.Calibration(model.Config.VocabSize), options);
            SlicedCheckpointWriter.Write(result.Model, Metadata(options, result.Widths), source, null, Path.Combine(dir.Path, name), TensorDType.BF16, force: false);
        }
        foreach (var file in new[] { "model.safetensors", "config.json" })
            Assert.That(File.ReadAllBytes(Path.Combine(dir.Path, "b", file)), Is.EqualTo(File.ReadAllBytes(Path.Combine(dir.Path, "a", file))), file);
    }

    [Test]
    public void ExistingOutput_IsRefusedWithoutForce_AndReplacedWithIt()
    {
        using var dir = new TempFolder();
        var (source, result, output) = SliceSynthetic(dir, "llama");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "mine");
        var e = Assert.Throws<SlicingException>(() =>
            SlicedCheckpointWriter.Write(result.Model, Metadata(Quarter, result.Widths), source, null, output, TensorDType.F32, force: false))!;
        Assert.That(e.Message, Does.Contain("--force"));
        Assert.That(File.Exists(Path.Combine(output, "keep.txt")), "the existing folder is untouched");

        SlicedCheckpointWriter.Write(result.Model, Metadata(Quarter, result.Widths), source, null, output, TensorDType.F32, force: true);
        Assert.That(File.Exists(Path.Combine(output, "keep.txt")), Is.False);
        Assert.That(Directory.GetDirectories(dir.Path).Select(Path.GetFileName), Is.EquivalentTo(new[] { "dense", "sliced" }), "no staging folder left");
    }

    [Test]
    public void OutputInsideTheInputFolder_IsRefusedAndTheInputIsUntouched()
    {
        using var dir = new TempFolder();
        SyntheticCheckpoint.Write(dir.Path, new SyntheticSpec("phi"));
        var before = Directory.GetFiles(dir.Path).ToDictionary(f => f, File.ReadAllBytes);
        var model = ModelLoader.Load<float>(dir.Path);
        var result = SliceGptPipeline.Slice(model, InvarianceTests.Calibration(model.Config.VocabSize), Quarter);
        Assert.Throws<SlicingException>(() => SlicedCheckpointWriter.Write(result.Model, Metadata(Quarter, result.Widths),
            dir.Path, null, Path.Combine(dir.Path, "sliced"), TensorDType.F32, force: true));
        Assert.That(Directory.GetFileSystemEntries(dir.Path), Is.EquivalentTo(before.Keys));
        foreach (var (file, bytes) in before)
            Assert.That(File.ReadAllBytes(file), Is.EqualTo(bytes));
    }

    [Test]
    public void InconsistentSliceSection_NamesTheField()
    {
        using var dir = new TempFolder();
        var (source, result, output) = SliceSynthetic(dir, "llama");
        var widths = result.Widths.ToList();
        widths[1] = widths[1] with { In = 8 };
        SlicedCheckpointWriter.Write(result.Model, Metadata(Quarter, widths), source, null, output, TensorDType.F32, force: false);
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load<float>(output))!;
        Assert.That(e.Field, Is.EqualTo("slicegpt.widths[1].in"));
    }

    [Test]
    public void AlreadySlicedModel_IsNotSlicedAgain()
    {
        var model = InvarianceTests.Synthetic<float>("llama");
        var sliced = SliceGptPipeline.Slice(model, InvarianceTests.Calibration(model.Config.VocabSize), Quarter).Model;
        Assert.Throws<SlicingException>(() => SliceGptPipeline.Slice(sliced, InvarianceTests.Calibration(model.Config.VocabSize), Quarter));
    }

    [TestCase(TensorDType.F16, 2e-3)]
    [TestCase(TensorDType.BF16, 2e-2)]
    public void HalfPrecisionStorage_LoadsBackCloseToTheFloatModel(TensorDType dtype, double tolerance)
    {
        // Rounding every weight to 11 (F16) or 8 (BF16) significant bits perturbs the logits by about that relative
        // amount; the bounds are ~3.5 times the measured 5.9e-4 (F16) and 5.8e-3 (BF16) on this model.
        using var dir = new TempFolder();
        var (source, result, output) = SliceSynthetic(dir, "opt");
        SlicedCheckpointWriter.Write(result.Model, Metadata(Quarter, result.Widths), source, null, output, dtype, force: false);
        var loaded = ModelLoader.Load<float>(output);
        Assert.That(loaded.Config.StorageDType, Is.EqualTo(dtype));
        FamilyForwardTests.AssertClose(InvarianceTests.ToDouble(FamilyForwardTests.RunLogits(loaded, InvarianceTests.Probe)),
            InvarianceTests.ToDouble(FamilyForwardTests.RunLogits(result.Model, InvarianceTests.Probe)), tolerance);
    }
}
