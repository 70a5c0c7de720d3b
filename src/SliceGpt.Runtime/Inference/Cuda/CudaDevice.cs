using SliceGpt.Kernels;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>What <see cref="CudaBackend.Probe"/> found: whether a backend can be created, whether a GPU is there at all, and why.</summary>
/// <param name="Available">A <see cref="CudaBackend"/> can be constructed.</param>
/// <param name="DevicePresent">The driver loads and sees at least one GPU (false: no driver or no device).</param>
/// <param name="Reason">What was found, or what failed with every library and path tried.</param>
internal sealed record CudaProbe(bool Available, bool DevicePresent, string Reason);

/// <summary>
/// One GPU as the backend uses it: its context, the compiled kernels and the library versions, shared by the
/// backend, its models and their sessions. Each holds a reference; the last one to let go disposes the kernels
/// and the context, so a backend disposed before its models frees nothing they still use.
/// </summary>
internal sealed class CudaDevice : IGpu
{
    private readonly SharedLifetime _lifetime;

    private CudaDevice(CudaContext context, CudaKernels kernels, int cublasVersion, Version nvrtcVersion)
    {
        Context = context;
        Kernels = kernels;
        CublasVersion = cublasVersion;
        NvrtcVersion = nvrtcVersion;
        _lifetime = new SharedLifetime(() =>
        {
            Kernels.Dispose();
            Context.Dispose();
        });
    }

    /// <summary>The primary context of the GPU.</summary>
    public CudaContext Context { get; }

    /// <summary>The engine's kernels, compiled for this GPU.</summary>
    public CudaKernels Kernels { get; }

    /// <summary>The GPU.</summary>
    public CudaDeviceInfo Info => Context.Device;

    /// <summary>cublasGetVersion, e.g. 120402.</summary>
    public int CublasVersion { get; }

    /// <summary>NVRTC's version.</summary>
    public Version NvrtcVersion { get; }

    /// <summary>True once the context is gone.</summary>
    public bool IsReleased => _lifetime.IsReleased;

    /// <summary>Opens GPU <paramref name="ordinal"/>, loads cuBLAS and compiles every kernel (cached on disk after the first run).</summary>
    /// <exception cref="CudaUnavailableException">No driver, no GPU, or a CUDA library missing.</exception>
    public static CudaDevice Open(int ordinal)
    {
        int count = DeviceCountOrThrow();
        if (ordinal < 0 || ordinal >= count)
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"the CUDA driver sees {count} GPU(s): ordinals 0..{count - 1}");
        var context = CudaContext.Create(ordinal);
        CudaKernels? kernels = null;
        try
        {
            int cublasVersion;
            using (var blas = new BlasHandle(context))
                cublasVersion = blas.Version;
            kernels = new CudaKernels(context);
            kernels.Precompile();
            return new CudaDevice(context, kernels, cublasVersion, NvrtcCompiler.Shared.Version);
        }
        catch
        {
            kernels?.Dispose();
            context.Dispose();
            throw;
        }
    }

    /// <summary>Checks the driver, the devices, cuBLAS and NVRTC without creating anything; never throws.</summary>
    public static CudaProbe Probe()
    {
        int count;
        try
        {
            count = DeviceCountOrThrow();
        }
        catch (Exception e)
        {
            return new CudaProbe(false, false, e.Message);
        }
        try
        {
            CudaLibraries.EnsureLoaded(CudaLibrary.Cublas);
            CudaLibraries.EnsureLoaded(CudaLibrary.Nvrtc);
            return new CudaProbe(true, true, $"{count} GPU(s), driver {CudaLibraries.LoadedFrom(CudaLibrary.Driver)}");
        }
        catch (Exception e)
        {
            return new CudaProbe(false, true, e.Message);
        }
    }

    /// <inheritdoc/>
    public ContextScope Bind() => Context.Bind();

    /// <inheritdoc/>
    public IGpuQueue<T> CreateQueue<T>() where T : unmanaged => new CudaQueue<T>(Context, Kernels);

    /// <inheritdoc/>
    public IDeviceBlock Allocate(long bytes, string what)
    {
        try
        {
            return new CudaDeviceBlock(Context.Allocate<byte>(bytes));
        }
        catch (CudaException e) when (e.StatusCode == (int)CuResult.OutOfMemory)
        {
            var (free, total) = Context.MemoryInfo();
            throw new CudaException(e.Library, e.StatusCode, e.StatusName, "cuMemAlloc",
                $"{what} needs {Mebibytes(bytes)} MiB of device memory; {Info.Name} has {Mebibytes(free)} MiB free of {Mebibytes(total)} MiB");
        }
    }

    /// <summary>Takes a reference; false once everything is released.</summary>
    public bool TryAcquire() => _lifetime.TryAcquire();

    /// <summary>Returns a reference.</summary>
    public void Release() => _lifetime.Release();

    private static long Mebibytes(long bytes) => (bytes + (1 << 20) - 1) >> 20;

    // cuInit failing (a stub libcuda, a driver older than the library, a container without the device nodes) and a
    // driver that sees no GPU are both "no usable GPU here", reported like a missing driver.
    private static int DeviceCountOrThrow()
    {
        int count;
        try
        {
            count = CudaContext.DeviceCount();
        }
        catch (CudaException e)
        {
            var driver = CudaLibraries.LoadedFrom(CudaLibrary.Driver);
            throw new CudaUnavailableException(CudaLibrary.Driver, $"the CUDA driver {driver} loaded but failed to initialise",
                [$"{driver}: {e.Message}"]);
        }
        if (count == 0)
        {
            var driver = CudaLibraries.LoadedFrom(CudaLibrary.Driver);
            throw new CudaUnavailableException(CudaLibrary.Driver, $"the CUDA driver {driver} loaded but sees no GPU",
                [$"{driver}: cuInit reports no CUDA device"]);
        }
        return count;
    }
}

/// <summary>A <see cref="DeviceBuffer{T}"/> of bytes as an <see cref="IDeviceBlock"/>.</summary>
internal sealed class CudaDeviceBlock(DeviceBuffer<byte> buffer) : IDeviceBlock
{
    public ulong Address => buffer.Address;

    public long Bytes => buffer.Length;

    public void Upload(ReadOnlySpan<byte> source, long byteOffset) => buffer.CopyFromHost(source, byteOffset);

    public void Download(Span<byte> destination, long byteOffset) => buffer.CopyToHost(destination, byteOffset);

    public void Dispose() => buffer.Dispose();
}
