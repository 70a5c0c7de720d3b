using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Diagnostics;
using SliceGpt.Runtime.IO;
using SliceGpt.Runtime.Tests.Support;
using SliceGpt.Runtime.Numerics;

namespace SliceGpt.Runtime.Tests.Checkpoints;

public class SafetensorsRoundTripTests
{
    [Test]
    public void Float32_RoundTripsBitForBit_IncludingSpecialFiniteValues()
    {
        using var dir = new TempFolder();
        float[] values = [1.5f, -0f, float.Epsilon, float.MaxValue, -float.MaxValue, 3.14159265f];
        var writer = new SafetensorsWriter();
        writer.AddFloat32("w", [6], values);
        writer.Write(dir["model.safetensors"]);
        using var checkpoint = SafetensorsCheckpoint.Open(dir.Path);
        var back = new float[6];
        checkpoint.Read("w", back);
        Assert.That(back.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(values.Select(BitConverter.SingleToInt32Bits)));
    }

    [TestCase(float.NaN, "NaN")]
    [TestCase(float.PositiveInfinity, "+Infinity")]
    [TestCase(float.NegativeInfinity, "-Infinity")]
    public void NonFiniteValues_AreWrittenBitForBit_AndRefusedOnRead_NamingTensorAndIndex(float bad, string text)
    {
        using var dir = new TempFolder();
        float[] values = [1f, 2f, 3f, 4f, 5f, bad, 7f, 8f];
        var writer = new SafetensorsWriter();
        writer.AddFloat32("w", [2, 4], values);
        writer.Write(dir["model.safetensors"]);
        var bytes = File.ReadAllBytes(dir["model.safetensors"]);
        Assert.That(bytes[^32..], Is.EqualTo(values.SelectMany(BitConverter.GetBytes).ToArray()), "the writer stores what it is given");
        using var checkpoint = SafetensorsCheckpoint.Open(dir.Path);
        var e = Assert.Throws<NonFiniteValueException>(() => checkpoint.Read("w", new float[8]))!;
        Assert.That(e.Message, Does.Contain(dir["model.safetensors"]).And.Contain("'w'").And.Contain("[1, 1]").And.Contain(text));
        Assert.That((e.Location, e.Index), Is.EqualTo(("w", (long?)5)));
        Assert.Throws<NonFiniteValueException>(() => checkpoint.Read("w", new double[8]), "float64 reads are checked too");
    }

    [Test]
    public void HeaderIsSortedPaddedToEightBytesAndStartsWithMetadata()
    {
        var writer = new SafetensorsWriter();
        writer.AddFloat32("zeta", [1], [1f]);
        writer.AddFloat32("alpha", [3], [1f, 2f, 3f]);
        var header = System.Text.Encoding.UTF8.GetString(writer.HeaderBytes());
        Assert.That(writer.HeaderBytes().Length % 8, Is.Zero);
        Assert.That(header, Does.StartWith("{\"__metadata__\":{\"format\":\"pt\"},\"alpha\":"));
        Assert.That(header.IndexOf("\"alpha\"", StringComparison.Ordinal), Is.LessThan(header.IndexOf("\"zeta\"", StringComparison.Ordinal)));
        Assert.That(header, Does.Contain("\"zeta\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}"));
    }

    [Test]
    public void SameInputs_GiveByteIdenticalFiles()
    {
        using var dir = new TempFolder();
        foreach (var name in new[] { "a.safetensors", "b.safetensors" })
        {
            var writer = new SafetensorsWriter();
            writer.Metadata["slicegpt"] = "test";
            writer.AddFloat32("y", [2], [1f, 2f]);
            writer.AddConverted("x", TensorDType.BF16, [2], [0.1f, -7f]);
            writer.Write(dir[name]);
        }
        Assert.That(File.ReadAllBytes(dir["a.safetensors"]), Is.EqualTo(File.ReadAllBytes(dir["b.safetensors"])));
    }

    [TestCase(TensorDType.F16)]
    [TestCase(TensorDType.BF16)]
    public void HalfPrecision_RoundsToNearestAndReadsBackExactly(TensorDType dtype)
    {
        using var dir = new TempFolder();
        // 1 + 2^-12 lies between two F16 values (spacing 2^-10) and two BF16 values (2^-7): both round down to 1.
        // 1 + 3·2^-9 rounds up to 1 + 2^-7 in BF16 (nearest) and is exact in F16.
        float[] values = [1f + MathF.Pow(2, -12), 1f + 3 * MathF.Pow(2, -9), -2.5f, 65504f];
        var writer = new SafetensorsWriter();
        writer.AddConverted("w", dtype, [4], values);
        writer.Write(dir["model.safetensors"]);
        using var checkpoint = SafetensorsCheckpoint.Open(dir.Path);
        var back = new double[4];
        checkpoint.Read("w", back);
        double second = dtype == TensorDType.F16 ? 1 + 3 * Math.Pow(2, -9) : 1 + Math.Pow(2, -7);
        double max = dtype == TensorDType.F16 ? 65504 : 65536; // BF16's nearest to 65504 is 2^16
        Assert.That(back, Is.EqualTo(new[] { 1.0, second, -2.5, max }));
    }

    [Test]
    public void FailedWrite_LeavesNoFileBehind()
    {
        using var dir = new TempFolder();
        var writer = new SafetensorsWriter();
        writer.AddFloat32("w", [1], [1f]);
        var target = Path.Combine(dir.Path, "missing-subfolder", "model.safetensors");
        var e = Assert.Throws<OutputWriteException>(() => writer.Write(target))!;
        Assert.That(e.Path, Is.EqualTo(target));
        Assert.That(e.InnerException, Is.InstanceOf<DirectoryNotFoundException>());
        Assert.That(Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories), Is.Empty);
    }

    [Test]
    public void Writer_RejectsAShapeThatDisagreesWithTheData()
    {
        var writer = new SafetensorsWriter();
        var e = Assert.Throws<ArgumentException>(() => writer.AddFloat32("w", [2, 2], [1f, 2f, 3f]))!;
        Assert.That(e.Message, Does.Contain("'w'").And.Contain("[2, 2]"));
    }
}
