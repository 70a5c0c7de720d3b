using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// A CUDA stream (non-blocking: it does not synchronize with the legacy default stream). Work queued on one
/// stream runs in order; every kernel launch and library call of this engine names its stream explicitly.
/// </summary>
public sealed class CudaStream : CudaResource
{
    private nint _handle;

    internal CudaStream(CudaContext context) : base(context)
    {
        try
        {
            using var scope = context.Bind();
            CuCheck.ThrowIfFailed(CuDriver.StreamCreate(out _handle, CuDriver.StreamNonBlocking));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The raw CUstream (also a cudaStream_t), valid while this object is alive.</summary>
    public nint Handle
    {
        get
        {
            ThrowIfDisposed();
            return _handle;
        }
    }

    /// <summary>Blocks until all work queued on the stream has finished.</summary>
    public void Synchronize()
    {
        using var scope = Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.StreamSynchronize(Handle));
    }

    /// <inheritdoc/>
    protected override void ReleaseNative()
    {
        if (_handle == 0)
            return;
        var handle = _handle;
        _handle = 0;
        CuCheck.ThrowIfFailed(CuDriver.StreamDestroy(handle));
    }
}
