using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests.Support;

/// <summary>
/// Base of the GPU fixtures: one context, stream and kernel set per fixture, with kernels compiled into a
/// private image cache folder. Without a driver or a device every test reports as skipped
/// ("no CUDA device: why"); a GPU machine missing NVRTC or cuBLAS fails instead, because that is a broken
/// installation, not an absent GPU. Nothing here can pass on the CPU: every assertion reads GPU results.
/// </summary>
[Category("Gpu")]
public abstract class GpuTestBase
{
    private string _cacheDirectory = null!;

    protected CudaContext Context { get; private set; } = null!;
    protected CudaStream Stream { get; private set; } = null!;
    protected CudaKernels Kernels { get; private set; } = null!;
    protected KernelImageCache Images { get; private set; } = null!;

    [OneTimeSetUp]
    public void AcquireDevice()
    {
        try
        {
            if (CudaContext.DeviceCount() == 0)
                Assert.Ignore("no CUDA device: the driver loads but reports no GPU");
            Context = CudaContext.Create();
        }
        catch (CudaUnavailableException e)
        {
            Assert.Ignore($"no CUDA device: {e.Message}");
        }
        catch (CudaException e) when (e.StatusCode is (int)CuResult.NoDevice or (int)CuResult.InvalidDevice)
        {
            Assert.Ignore($"no CUDA device: {e.Message}");
        }
        TestContext.Progress.WriteLine($"GPU tests on {Context.Device}");
        _cacheDirectory = Path.Combine(Path.GetTempPath(), "slicegpt-gpu-tests-" + Guid.NewGuid().ToString("N"));
        Images = new KernelImageCache(_cacheDirectory);
        Stream = Context.CreateStream();
        Kernels = new CudaKernels(Context, new KernelModuleCache(Context, Images));
    }

    [OneTimeTearDown]
    public void ReleaseDevice()
    {
        Kernels?.Modules.Dispose();
        Context?.Dispose();
        if (_cacheDirectory is not null && Directory.Exists(_cacheDirectory))
            Directory.Delete(_cacheDirectory, recursive: true);
    }

    protected DeviceBuffer<T> Upload<T>(T[] data) where T : unmanaged => Context.Upload<T>(data);

    protected DeviceBuffer<T> UploadAs<T>(float[] values) where T : unmanaged => Context.Upload<T>(Storage.Encode<T>(values));

    protected float[] Download<T>(DeviceBuffer<T> buffer) where T : unmanaged
    {
        Stream.Synchronize();
        return Storage.Decode<T>(buffer.ToArray());
    }

    protected T[] DownloadRaw<T>(DeviceBuffer<T> buffer) where T : unmanaged
    {
        Stream.Synchronize();
        return buffer.ToArray();
    }
}
