using SliceGpt.Bench.Gpu;
using SliceGpt.Bench.Gpu.EndToEnd;
using SliceGpt.Bench.Support;
using SliceGpt.Runtime.Slicing;

namespace SliceGpt.Bench.Tests;

/// <summary>The bytes a batch-1 decode step must read, and the datasheet bandwidths it is compared with.</summary>
public class DecodeRooflineTests
{
    private static readonly Runtime.Models.ModelConfig Llama7B = PublishedModels.Config("llama-2-7b");

    [Test]
    public void Dense7B_ReadsEveryWeightButTheEmbeddingTable()
    {
        // 6,738,415,616 parameters less the 32000×4096 table plus one 4096-wide row, 2 bytes each.
        long expected = 2 * (6_738_415_616L - 32000L * 4096 + 4096);
        Assert.That(DecodeRoofline.WeightBytesPerToken(ModelBlueprint.Of(Llama7B, ModelVariant.Dense), 2), Is.EqualTo(expected));
        Assert.That(expected, Is.EqualTo(13_214_695_424L));
    }

    [TestCase(ModelVariant.Sliced25, 0.25, 3072)]
    [TestCase(ModelVariant.Sliced50, 0.50, 2048)]
    public void Sliced7B_ReadsThePlannedParameters_ShortcutsIncluded(ModelVariant variant, double sparsity, int d)
    {
        long after = SlicingPlanner.Plan(Llama7B, new SlicingOptions { Sparsity = sparsity }).ParamsAfter;
        Assert.That(DecodeRoofline.WeightBytesPerToken(ModelBlueprint.Of(Llama7B, variant), 2), Is.EqualTo(2 * (after - 32000L * d + d)));
    }

    [TestCase(ModelVariant.Dense)]
    [TestCase(ModelVariant.Sliced50)]
    public void KvCache_IsLayersTimesKeysAndValuesTimesContext_UntouchedBySlicing(ModelVariant variant)
    {
        // 32 layers × (key + value) × 4096 × 2 bytes = 512 KiB per position, sliced or not (slicing keeps the head widths).
        var b = ModelBlueprint.Of(Llama7B, variant);
        Assert.Multiple(() =>
        {
            Assert.That(DecodeRoofline.KvBytes(b, 1, 2), Is.EqualTo(524_288));
            Assert.That(DecodeRoofline.KvBytes(b, 192.5, 2), Is.EqualTo(524_288 * 192.5));
        });
    }

    [Test]
    public void MeanContext_CountsThePromptAndEveryNewPosition()
    {
        Assert.Multiple(() =>
        {
            Assert.That(DecodeRoofline.MeanContext(0, 1), Is.EqualTo(1), "the first token attends to itself");
            Assert.That(DecodeRoofline.MeanContext(128, 1), Is.EqualTo(129));
            Assert.That(DecodeRoofline.MeanContext(128, 128), Is.EqualTo(192.5), "(129 + 256) / 2");
            Assert.Throws<ArgumentOutOfRangeException>(() => DecodeRoofline.MeanContext(128, 0));
        });
    }

    [Test]
    public void BytesPerToken_IsWeightsPlusTheMeanKvRead_AndTheShareIsBandwidthOverPeak()
    {
        var dense = ModelBlueprint.Of(Llama7B, ModelVariant.Dense);
        double bytes = DecodeRoofline.BytesPerToken(dense, 128, 128, 2);
        Assert.That(bytes, Is.EqualTo(13_214_695_424.0 + 524_288 * 192.5));
        double h200 = 4.8e12;
        Assert.Multiple(() =>
        {
            // At exactly bytes / peak seconds per token, the share is 1; twice as long, one half.
            Assert.That(DecodeRoofline.RooflineShare(bytes, bytes / h200, h200), Is.EqualTo(1.0).Within(1e-12));
            Assert.That(DecodeRoofline.RooflineShare(bytes, 2 * bytes / h200, h200), Is.EqualTo(0.5).Within(1e-12));
            Assert.That(DecodeRoofline.RooflineShare(bytes, 0.003, null), Is.NaN, "unknown device");
        });
    }

    [TestCase("NVIDIA H100 80GB HBM3", 9, 0, 3.35e12)]
    [TestCase("NVIDIA H100 PCIe", 9, 0, 2.0e12)]
    [TestCase("NVIDIA H200", 9, 0, 4.8e12)]
    [TestCase("NVIDIA A100-SXM4-80GB", 8, 0, 2.039e12)]
    [TestCase("NVIDIA A100 80GB PCIe", 8, 0, 1.935e12)]
    public void DatasheetBandwidth_ByDeviceName(string name, int major, int minor, double bytesPerSecond) =>
        Assert.That(DeviceBandwidth.PeakBytesPerSecond(name, major, minor), Is.EqualTo(bytesPerSecond).Within(1e3));

    [TestCase("NVIDIA H100 NVL", 9, 0)]
    [TestCase("NVIDIA GH200 480GB", 9, 0)]
    [TestCase("NVIDIA A100-SXM4-40GB", 8, 0)]
    [TestCase("NVIDIA H200", 8, 9)]
    [TestCase("NVIDIA GeForce RTX 4090", 8, 9)]
    public void UnknownOrDifferentParts_HaveNoBandwidth(string name, int major, int minor) =>
        Assert.That(DeviceBandwidth.PeakBytesPerSecond(name, major, minor), Is.Null);
}
