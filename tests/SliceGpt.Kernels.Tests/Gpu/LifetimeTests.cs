using SliceGpt.Kernels.Tests.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests.Gpu;

/// <summary>Ownership rules: idempotent dispose, the context reclaiming what is left, binding from pool threads, launch checks.</summary>
public sealed class LifetimeTests : GpuTestBase
{
    [Test]
    public void DeviceInfoReportsTheL2Size()
    {
        // The GPU benchmarks size their cache flush by it; every CUDA GPU since Fermi has an L2 of at least 128 KiB.
        Assert.That(Context.Device.L2CacheBytes, Is.GreaterThanOrEqualTo(128 * 1024), Context.Device.ToString());
    }

    [Test]
    public void DisposingTheContextReleasesLiveResourcesOnce()
    {
        var context = CudaContext.Create(Context.Device.Ordinal);
        var buffer = context.Allocate<float>(1 << 20);
        var stream = context.CreateStream();
        var timing = context.CreateEvent();
        buffer.Dispose();
        buffer.Dispose();                       // idempotent
        var forgotten = context.Allocate<float>(1 << 20);

        context.Dispose();
        context.Dispose();                      // idempotent

        Assert.Multiple(() =>
        {
            Assert.That(forgotten.IsDisposed && stream.IsDisposed && timing.IsDisposed, Is.True);
            Assert.Throws<ObjectDisposedException>(() => _ = forgotten.Address);
            Assert.Throws<ObjectDisposedException>(() => context.Allocate<float>(1));
            Assert.DoesNotThrow(forgotten.Dispose);
        });
    }

    [Test]
    public async Task BuffersWorkFromPoolThreads()
    {
        var data = TestData.Uniform(1000, 80);
        using var buffer = Upload(data);
        var copies = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => buffer.ToArray())));
        Assert.That(copies, Has.All.EqualTo(data));
    }

    [Test]
    public void EventsTimeGpuWork()
    {
        using var start = Context.CreateEvent();
        using var end = Context.CreateEvent();
        using var buffer = Context.Allocate<float>(1 << 24);
        start.Record(Stream);
        buffer.Clear(Stream);
        end.Record(Stream);
        Assert.That(end.ElapsedMillisecondsSince(start), Is.GreaterThan(0f));
    }

    [Test]
    public void LaunchGeometryAndStreamAreCheckedBeforeTheDriver()
    {
        var function = Kernels.Modules.GetFunction(KernelSources.Get("elementwise.cu"), "residual_add_f32");
        var args = new Args.ResidualAddArgs();
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelLauncher.Launch(function, LaunchGeometry.Linear(1, 2048), Stream, args));
        using var other = CudaContext.Create(Context.Device.Ordinal);
        using var foreign = other.CreateStream();
        Assert.Throws<ArgumentException>(() => KernelLauncher.Launch(function, LaunchGeometry.Linear(1, 32), foreign, args));
    }

    [Test]
    public void StreamCopiesRoundTrip()
    {
        var data = TestData.Uniform(333, 81);
        using var buffer = Context.Allocate<float>(data.Length);
        Stream.CopyToDevice<float>(data, buffer);
        var back = new float[data.Length];
        Stream.CopyToHost(buffer.Memory, back);
        Stream.Synchronize();
        Assert.That(back, Is.EqualTo(data));
        var (free, total) = Context.MemoryInfo();
        Assert.That(free, Is.InRange(1L, total));
    }
}
