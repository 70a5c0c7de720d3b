using SliceGpt.Native.Cuda;

namespace SliceGpt.Bench.Gpu;

/// <summary>
/// The process's GPU for the benchmark suites: device 0's context, one stream, one cuBLAS handle and the L2 flush
/// buffer, made once and shared by every case (re-creating the context per case would cost a second each). A failure to
/// start is remembered, so every later case fails at once with the same one-line reason instead of retrying.
/// </summary>
internal sealed class GpuSession : IDisposable
{
    private static readonly Lock StartLock = new();
    private static GpuSession? _current;
    private static Exception? _startFailure;

    private GpuSession(CudaContext context)
    {
        Context = context;
        Stream = context.CreateStream();
        Blas = new BlasHandle(context);
        // Writing 4× the L2 between repetitions leaves none of the previous product's operands cached; 4× rather than
        // just over 1× because the L2's replacement is not strict LRU and is split into partitions. The 64 MiB floor
        // covers a driver that reports no L2 size. On an H100/H200 (50/60 MB) this is a ~50 µs write per repetition.
        long bytes = Math.Max(4 * context.Device.L2CacheBytes, 64L << 20);
        Flush = context.Allocate<int>(bytes / sizeof(int));
    }

    /// <summary>The context of device 0.</summary>
    public CudaContext Context { get; }

    /// <summary>The device, as read when the context was created.</summary>
    public CudaDeviceInfo Device => Context.Device;

    /// <summary>The stream every timed product and its events use.</summary>
    public CudaStream Stream { get; }

    /// <summary>The cuBLAS handle, bound to <see cref="Stream"/> by each call.</summary>
    public BlasHandle Blas { get; }

    /// <summary>The cuSPARSELt plans searched so far, one per shape, type and layout: a shape is searched once per process.</summary>
    public SparseLtPlanCache SparsePlans { get; } = new();

    /// <summary>The buffer written between repetitions to evict the L2 (size: 4 × the device's L2, at least 64 MiB).</summary>
    public DeviceBuffer<int> Flush { get; }

    /// <summary>The running session, if one was started.</summary>
    public static GpuSession? Current
    {
        get
        {
            lock (StartLock)
                return _current;
        }
    }

    /// <summary>The session, started on first use.</summary>
    /// <exception cref="GpuUnavailableException">No usable GPU: no driver, no device, or no cuBLAS.</exception>
    public static GpuSession Get()
    {
        lock (StartLock)
        {
            if (_current is not null)
                return _current;
            if (_startFailure is not null)
                throw new GpuUnavailableException(_startFailure);
            CudaContext? context = null;
            try
            {
                if (CudaContext.DeviceCount() == 0)
                    throw new InvalidOperationException("the CUDA driver loaded but reports no device");
                context = CudaContext.Create(0);
                return _current = new GpuSession(context);
            }
            catch (Exception e) when (e is CudaUnavailableException or CudaException or InvalidOperationException)
            {
                context?.Dispose();
                _startFailure = e;
                throw new GpuUnavailableException(e);
            }
        }
    }

    /// <summary>Disposes the running session, if any (its context releases everything it still owns).</summary>
    public static void DisposeCurrent()
    {
        lock (StartLock)
        {
            _current?.Dispose();
            _current = null;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Context.Dispose();
}

/// <summary>The GPU suites cannot run here; the message is one line saying why.</summary>
internal sealed class GpuUnavailableException(Exception cause)
    : Exception($"no usable CUDA GPU: {cause.Message}", cause);
