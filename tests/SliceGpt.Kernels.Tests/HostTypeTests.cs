using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests;

/// <summary>Host-side helpers of the CUDA layer that need no GPU: bf16 rounding, device views, RoPE tables.</summary>
public sealed class HostTypeTests
{
    [TestCase(1.0f, (ushort)0x3f80)]
    [TestCase(-2.0f, (ushort)0xc000)]
    [TestCase(1.00390625f, (ushort)0x3f80)]   // 1 + 2^-8: exactly halfway, ties to even (down)
    [TestCase(1.01171875f, (ushort)0x3f82)]   // 1 + 3·2^-8: halfway, ties to even (up)
    [TestCase(float.PositiveInfinity, (ushort)0x7f80)]
    public void BFloat16RoundsToNearestEven(float value, ushort bits) =>
        Assert.That(((BFloat16)value).Bits, Is.EqualTo(bits));

    [Test]
    public void BFloat16RoundsJustAboveHalfwayUp() =>
        Assert.That(((BFloat16)BitConverter.UInt32BitsToSingle(0x3f808001)).Bits, Is.EqualTo((ushort)0x3f81));

    [Test]
    public void BFloat16KeepsNaNAndConvertsBackExactly()
    {
        Assert.Multiple(() =>
        {
            Assert.That(float.IsNaN((float)(BFloat16)float.NaN), Is.True);
            Assert.That((float)new BFloat16(0x4049), Is.EqualTo(3.140625f));
        });
    }

    [Test]
    public void DeviceMemorySlicesAndChecksExtents()
    {
        var memory = new DeviceMemory<float>(0x1000, 100);
        var slice = memory.Slice(10, 20);
        Assert.Multiple(() =>
        {
            Assert.That(slice.Address, Is.EqualTo(0x1000UL + 40));
            Assert.That(slice.Length, Is.EqualTo(20));
            Assert.That(memory.Cast<ushort>().Length, Is.EqualTo(200));
            Assert.Throws<ArgumentOutOfRangeException>(() => memory.Slice(90, 20));
            var e = Assert.Throws<ArgumentException>(() => memory.EnsureLength(101, "x [rows, width]"))!;
            Assert.That(e.Message, Does.Contain("x [rows, width]").And.Contain("101").And.Contain("100"));
            Assert.Throws<ArgumentException>(() => default(DeviceMemory<float>).EnsureLength(1, "weight"));
        });
    }

    [Test]
    public void PassingExtentChecksWithInterpolatedDescriptionsAllocateNothing()
    {
        // Launchers describe operands with interpolated strings; a decode step runs dozens of these checks, and
        // steady-state decode must not allocate, so the text is formatted only when a check fails.
        var memory = new DeviceMemory<float>(0x1000, 100);
        string name = "x";
        int rows = 3, width = 7;
        memory.EnsureLength(21, $"{name} [{rows}, {width}]");
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            memory.EnsureLength(rows * width + i % 50, $"{name} [{rows}, {width}]");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var e = Assert.Throws<ArgumentException>(() => memory.EnsureLength(101, $"{name} [{rows}, {width}]"))!;
        var nullView = Assert.Throws<ArgumentException>(() => default(DeviceMemory<float>).EnsureLength(1, $"{name} [{rows}]"))!;
        Assert.Multiple(() =>
        {
            Assert.That(allocated, Is.Zero);
            Assert.That(e.Message, Does.Contain("x [3, 7]").And.Contain("101").And.Contain("100"));
            Assert.That(nullView.Message, Does.Contain("x [3]").And.Contain("null"));
        });
    }

    [Test]
    public void RopeTablesAreCosinesAndSinesOfPositionTimesFrequency()
    {
        double[] inverse = [1.0, 0.01];
        var cos = new float[6];
        var sin = new float[6];
        RopeKernels.BuildTables(inverse, 3, cos, sin);
        Assert.Multiple(() =>
        {
            Assert.That(cos[2 * 2 + 0], Is.EqualTo((float)Math.Cos(2.0)));
            Assert.That(sin[2 * 2 + 1], Is.EqualTo((float)Math.Sin(0.02)));
            Assert.That(cos[0], Is.EqualTo(1f));
            Assert.Throws<ArgumentException>(() => RopeKernels.BuildTables(inverse, 4, cos, sin));
        });
    }
}
