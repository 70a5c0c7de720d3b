using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// A CUDA event: a marker recorded into a stream. Timing events measure GPU time between two markers,
/// which is how benchmarks time kernels (wall clocks would include launch and queueing).
/// </summary>
public sealed class CudaEvent : CudaResource
{
    private nint _handle;

    internal CudaEvent(CudaContext context, bool timing) : base(context)
    {
        IsTiming = timing;
        try
        {
            using var scope = context.Bind();
            CuCheck.ThrowIfFailed(CuDriver.EventCreate(out _handle, timing ? CuDriver.EventDefault : CuDriver.EventDisableTiming));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>True when the event records timestamps.</summary>
    public bool IsTiming { get; }

    /// <summary>Records the event after the work queued so far on <paramref name="stream"/>.</summary>
    public void Record(CudaStream stream)
    {
        ThrowIfDisposed();
        using var scope = Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.EventRecord(_handle, stream.Handle));
    }

    /// <summary>Blocks until the recorded work has finished.</summary>
    public void Synchronize()
    {
        ThrowIfDisposed();
        using var scope = Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.EventSynchronize(_handle));
    }

    /// <summary>Milliseconds of GPU time from <paramref name="start"/> to this event (waits for this event first).</summary>
    public float ElapsedMillisecondsSince(CudaEvent start)
    {
        ThrowIfDisposed();
        ObjectDisposedException.ThrowIf(start.IsDisposed, start);
        if (!IsTiming || !start.IsTiming)
            throw new InvalidOperationException("both events must be created with timing enabled");
        using var scope = Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.EventSynchronize(_handle));
        CuCheck.ThrowIfFailed(CuDriver.EventElapsedTime(out float milliseconds, start._handle, _handle));
        return milliseconds;
    }

    /// <inheritdoc/>
    protected override void ReleaseNative()
    {
        if (_handle == 0)
            return;
        var handle = _handle;
        _handle = 0;
        CuCheck.ThrowIfFailed(CuDriver.EventDestroy(handle));
    }
}
