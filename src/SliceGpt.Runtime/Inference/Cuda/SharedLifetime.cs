namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>
/// A reference count for an object that its children keep alive (LLamaSharp's DangerousAddRef idea): the owner
/// holds the first reference, each child one more, and the release action runs once, when the last one is
/// returned. A disposed owner with live children therefore frees nothing until they are gone.
/// </summary>
internal sealed class SharedLifetime(Action release)
{
    private int _references = 1;

    /// <summary>True once the release action has run.</summary>
    public bool IsReleased => Volatile.Read(ref _references) == 0;

    /// <summary>Takes a reference; false when everything has already been released.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            int current = Volatile.Read(ref _references);
            if (current == 0)
                return false;
            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
                return true;
        }
    }

    /// <summary>Returns a reference; the last one runs the release action.</summary>
    public void Release()
    {
        int left = Interlocked.Decrement(ref _references);
        if (left == 0)
            release();
        else if (left < 0)
            throw new InvalidOperationException("a reference was returned twice");
    }
}
