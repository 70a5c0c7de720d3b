using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Diagnostics;
using SliceGpt.Runtime.Tests.Support;
using SliceGpt.Runtime.Numerics;

namespace SliceGpt.Runtime.Tests.Diagnostics;

public class NonFiniteScanTests
{
    [TestCase(0)]
    [TestCase(16383)]   // last element of the first vectorised chunk
    [TestCase(16384)]   // first of the second
    // 100,011 elements: six full chunks, then 1,707 = 1,696 in four-vector steps + 8 in one-vector steps + 3 scalar
    // (for float32 with Vector256; float64 packs 4 per vector and ends the same way).
    [TestCase(99_999)]  // the last four-vector step
    [TestCase(100_003)] // a one-vector step
    [TestCase(100_010)] // the scalar tail
    public void FindsTheFirstNonFiniteElementWherever(int index)
    {
        var values = Enumerable.Range(0, 100_011).Select(i => (float)Math.Sin(i)).ToArray();
        Assert.That(NonFiniteScan.IndexOfNonFinite<float>(values), Is.EqualTo(-1));
        values[index] = float.NaN;
        if (index + 5 < values.Length)
            values[index + 5] = float.PositiveInfinity;
        Assert.That(NonFiniteScan.IndexOfNonFinite<float>(values), Is.EqualTo(index));
        var doubles = values.Select(v => (double)v).ToArray();
        Assert.That(NonFiniteScan.IndexOfNonFinite<double>(doubles), Is.EqualTo(index));
    }

    [Test]
    public void EveryNonFiniteBitPattern_IsFound_AndNoFiniteExtremeIs()
    {
        float[] finite = [float.MaxValue, -float.MaxValue, float.Epsilon, -float.Epsilon, -0f, 0f, 1e-40f, 1f];
        float[] nonFinite = [float.NaN, -float.NaN, float.PositiveInfinity, float.NegativeInfinity,
            BitConverter.Int32BitsToSingle(0x7F800001), BitConverter.Int32BitsToSingle(unchecked((int)0xFFFFFFFF))];
        var values = Enumerable.Repeat(finite, 20).SelectMany(v => v).ToArray();
        Assert.That(NonFiniteScan.IndexOfNonFinite<float>(values), Is.EqualTo(-1));
        Assert.That(NonFiniteScan.IndexOfNonFinite<double>(values.Select(v => (double)v).ToArray()), Is.EqualTo(-1));
        foreach (var bad in nonFinite)
        {
            var copy = (float[])values.Clone();
            copy[57] = bad;
            Assert.That(NonFiniteScan.IndexOfNonFinite<float>(copy), Is.EqualTo(57), $"0x{BitConverter.SingleToInt32Bits(bad):X8}");
            Assert.That(NonFiniteScan.IndexOfNonFinite<double>(copy.Select(v => (double)v).ToArray()), Is.EqualTo(57));
        }
    }

    [Test]
    public void CheckpointVerifier_NamesTheTensorAndIndex_OfAnyTensorInTheFile()
    {
        using var dir = new TempFolder();
        var writer = new SafetensorsWriter();
        writer.AddFloat32("a", [2, 3], [1, 2, 3, 4, 5, 6]);
        writer.AddConverted("b", TensorDType.BF16, [2, 2], [1, 2, float.NegativeInfinity, 4]);
        writer.Add("ids", TensorDType.I32, [2], new byte[8]); // integer tensors are not weights: skipped
        writer.Write(dir["model.safetensors"]);
        using var checkpoint = SafetensorsCheckpoint.Open(dir.Path);
        var e = Assert.Throws<NonFiniteValueException>(() => CheckpointVerifier.RequireFinite(checkpoint))!;
        Assert.That((e.File, e.Location, e.Index), Is.EqualTo((dir["model.safetensors"], "b", (long?)2)));
        Assert.That(e.Message, Does.Contain("index [1, 0]").And.Contain("-Infinity"));
    }

    [Test]
    public void Float64WeightBeyondFloat32_IsRefusedWhenReadAsFloat32()
    {
        using var dir = new TempFolder();
        var writer = new SafetensorsWriter();
        writer.AddFloat64("w", [2], [1.0, 1e300]);
        writer.Write(dir["model.safetensors"]);
        using var checkpoint = SafetensorsCheckpoint.Open(dir.Path);
        Assert.DoesNotThrow(() => checkpoint.Read("w", new double[2]));
        var e = Assert.Throws<NonFiniteValueException>(() => checkpoint.Read("w", new float[2]))!;
        Assert.That(e.Index, Is.EqualTo(1));
    }
}
