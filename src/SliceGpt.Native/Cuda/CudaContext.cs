using System.Text;
using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// The primary CUDA context of one GPU, retained for the life of this object. Everything created from it
/// (<see cref="DeviceBuffer{T}"/>, <see cref="CudaStream"/>, <see cref="CudaEvent"/>, <see cref="BlasHandle"/>,
/// <see cref="SolverHandle"/>, kernel modules) is tracked; <see cref="Dispose"/> releases what is still alive,
/// newest first, and then the context. Thread-safe: any thread may use it, and every public entry point of
/// the CUDA types binds the context for the duration of the call (<see cref="Bind"/>), so calls from pool
/// threads work. Disposing while other threads still use its resources is not supported.
/// </summary>
public sealed unsafe class CudaContext : IDisposable
{
    private readonly nint _context;
    private readonly int _device;
    private readonly object _lock = new();
    private readonly Dictionary<CudaResource, long> _resources = new(ReferenceEqualityComparer.Instance);
    private long _sequence;
    private int _disposed;

    private CudaContext(nint context, int device, CudaDeviceInfo info)
    {
        _context = context;
        _device = device;
        Device = info;
    }

    /// <summary>The GPU this context runs on.</summary>
    public CudaDeviceInfo Device { get; }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The number of CUDA devices, 0 when the driver loads but finds none.</summary>
    /// <exception cref="CudaUnavailableException">The driver library is missing.</exception>
    public static int DeviceCount()
    {
        CudaLibraries.EnsureLoaded(CudaLibrary.Driver);
        var status = CuDriver.Init(0);
        if (status == CuResult.NoDevice)
            return 0;
        CuCheck.ThrowIfFailed(status);
        CuCheck.ThrowIfFailed(CuDriver.DeviceGetCount(out int count));
        return count;
    }

    /// <summary>Retains the primary context of device <paramref name="ordinal"/>.</summary>
    /// <exception cref="CudaUnavailableException">The driver library is missing.</exception>
    /// <exception cref="CudaException">No such device, or the driver failed.</exception>
    public static CudaContext Create(int ordinal = 0)
    {
        int count = DeviceCount();
        if (ordinal < 0 || ordinal >= count)
            throw new CudaException("CUDA driver", (int)CuResult.InvalidDevice, "CUDA_ERROR_INVALID_DEVICE",
                $"CudaContext.Create({ordinal})", $"the driver sees {count} device(s)");
        CuCheck.ThrowIfFailed(CuDriver.DeviceGet(out int device, ordinal));
        var info = ReadDeviceInfo(ordinal, device);
        CuCheck.ThrowIfFailed(CuDriver.DevicePrimaryCtxRetain(out nint context, device));
        return new CudaContext(context, device, info);
    }

    /// <summary>Makes this context current on the calling thread until the scope is disposed.</summary>
    public ContextScope Bind()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return new ContextScope(_context);
    }

    internal ContextScope BindUnchecked() => new(_context);

    /// <summary>Waits until every stream of this context is idle.</summary>
    public void Synchronize()
    {
        using var scope = Bind();
        CuCheck.ThrowIfFailed(CuDriver.CtxSynchronize());
    }

    /// <summary>Free and total device memory, in bytes.</summary>
    public (long FreeBytes, long TotalBytes) MemoryInfo()
    {
        using var scope = Bind();
        CuCheck.ThrowIfFailed(CuDriver.MemGetInfo(out nuint free, out nuint total));
        return ((long)free, (long)total);
    }

    /// <summary>Allocates an uninitialized buffer of <paramref name="length"/> elements.</summary>
    public DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged => new(this, length);

    /// <summary>Allocates a buffer holding a copy of <paramref name="data"/>.</summary>
    public DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        var buffer = new DeviceBuffer<T>(this, data.Length);
        try
        {
            buffer.CopyFromHost(data);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Creates a stream that does not synchronize with the legacy default stream.</summary>
    public CudaStream CreateStream() => new(this);

    /// <summary>Creates an event; timing events can measure the time between two of them.</summary>
    public CudaEvent CreateEvent(bool timing = true) => new(this, timing);

    internal void Track(CudaResource resource)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            _resources.Add(resource, _sequence++);
        }
    }

    internal void Untrack(CudaResource resource)
    {
        lock (_lock)
            _resources.Remove(resource);
    }

    /// <summary>
    /// Releases every resource still alive (newest first), then the primary context. Idempotent. If some
    /// release failed (a sticky error after a faulting kernel, say) the rest are still released and an
    /// <see cref="AggregateException"/> reports the failures.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        List<CudaResource> live;
        lock (_lock)
        {
            live = _resources.OrderByDescending(pair => pair.Value).Select(pair => pair.Key).ToList();
            _resources.Clear();
        }
        var errors = new List<Exception>();
        using (BindUnchecked())
        {
            foreach (var resource in live)
            {
                try
                {
                    resource.DisposeFromContext();
                }
                catch (CudaException e)
                {
                    errors.Add(e);
                }
            }
        }
        var status = CuDriver.DevicePrimaryCtxRelease(_device);
        if (status != CuResult.Success)
            errors.Add(CuCheck.Create(status, "cuDevicePrimaryCtxRelease"));
        if (errors.Count > 0)
            throw new AggregateException($"releasing the CUDA context of {Device.Name} failed", errors);
    }

    private static CudaDeviceInfo ReadDeviceInfo(int ordinal, int device)
    {
        const int nameLength = 256;
        byte* name = stackalloc byte[nameLength];
        CuCheck.ThrowIfFailed(CuDriver.DeviceGetName(name, nameLength, device));
        int length = 0;
        while (length < nameLength && name[length] != 0)
            length++;
        CuCheck.ThrowIfFailed(CuDriver.DeviceTotalMem(out nuint totalMemory, device));
        CuCheck.ThrowIfFailed(CuDriver.DriverGetVersion(out int driverVersion));
        return new CudaDeviceInfo(
            ordinal,
            Encoding.UTF8.GetString(name, length),
            Attribute(device, CuDeviceAttribute.ComputeCapabilityMajor),
            Attribute(device, CuDeviceAttribute.ComputeCapabilityMinor),
            Attribute(device, CuDeviceAttribute.MultiprocessorCount),
            (long)totalMemory,
            Attribute(device, CuDeviceAttribute.MaxThreadsPerBlock),
            Attribute(device, CuDeviceAttribute.MaxSharedMemoryPerBlockOptin),
            driverVersion,
            Attribute(device, CuDeviceAttribute.L2CacheSize));
    }

    private static int Attribute(int device, CuDeviceAttribute attribute)
    {
        CuCheck.ThrowIfFailed(CuDriver.DeviceGetAttribute(out int value, attribute, device));
        return value;
    }
}
