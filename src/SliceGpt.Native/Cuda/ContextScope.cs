using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// Makes a <see cref="CudaContext"/> current on this thread until disposed (cuCtxPushCurrent/PopCurrent).
/// Scopes nest; dispose them on the thread that created them, in reverse order (a <c>using</c> does both).
/// A struct, so binding allocates nothing.
/// </summary>
public readonly struct ContextScope : IDisposable
{
    private readonly bool _pushed;

    internal ContextScope(nint context)
    {
        CuCheck.ThrowIfFailed(CuDriver.CtxPushCurrent(context));
        _pushed = true;
    }

    /// <summary>Pops the context pushed by this scope.</summary>
    public void Dispose()
    {
        if (_pushed)
            CuCheck.ThrowIfFailed(CuDriver.CtxPopCurrent(out _));
    }
}
