namespace SliceGpt.Native.Cuda;

/// <summary>
/// Base of every native object that belongs to a <see cref="CudaContext"/> (buffers, streams, events, library
/// handles, modules): the single owner of one raw handle. Dispose is idempotent and releases the handle with
/// the context bound. The context tracks its live resources and disposes them before it lets go of the GPU,
/// so a resource never outlives its context and a forgotten Dispose is reclaimed at the latest with the
/// context. There is deliberately no finalizer: finalizers must not call CUDA (the context may be gone and
/// the finalizer thread has none bound).
/// </summary>
public abstract class CudaResource : IDisposable
{
    private int _disposed;

    /// <summary>Registers the new resource with <paramref name="context"/>.</summary>
    protected CudaResource(CudaContext context)
    {
        Context = context;
        context.Track(this);
    }

    /// <summary>The context the resource lives in.</summary>
    public CudaContext Context { get; }

    /// <summary>True once disposed, by its owner or by its context.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Releases the native handle; later calls do nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        Context.Untrack(this);
        using (Context.BindUnchecked())
            ReleaseNative();
    }

    // Called by the context, which is bound and already forgetting its resources.
    internal void DisposeFromContext()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            ReleaseNative();
    }

    /// <summary>Frees the native handle; runs once, with the context bound.</summary>
    protected abstract void ReleaseNative();

    /// <summary>Throws <see cref="ObjectDisposedException"/> after disposal.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);
}
