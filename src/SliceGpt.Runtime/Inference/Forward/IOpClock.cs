namespace SliceGpt.Runtime.Inference.Forward;

/// <summary>
/// Times the operations of a profiled session: a mark before an operation, another after it. On a GPU the marks are
/// events recorded on the session's stream (device time, read when the stream has finished); on the CPU, timestamps.
/// Operations do not nest. Not thread-safe.
/// </summary>
internal interface IOpClock : IDisposable
{
    /// <summary>Marks the start of an operation.</summary>
    void Begin();

    /// <summary>Marks the end of the operation begun last.</summary>
    void End(ForwardOp op);

    /// <summary>Adds every finished operation's time to <paramref name="calls"/> and <paramref name="milliseconds"/> (indexed by op) and forgets them.</summary>
    void Collect(long[] calls, double[] milliseconds);
}

/// <summary>Wall-clock marks, for the CPU (and the emulated GPU).</summary>
internal sealed class HostOpClock : IOpClock
{
    private readonly long[] _calls = new long[Enum.GetValues<ForwardOp>().Length];
    private readonly long[] _ticks = new long[Enum.GetValues<ForwardOp>().Length];
    private long _start;

    public void Begin() => _start = System.Diagnostics.Stopwatch.GetTimestamp();

    public void End(ForwardOp op)
    {
        _ticks[(int)op] += System.Diagnostics.Stopwatch.GetTimestamp() - _start;
        _calls[(int)op]++;
    }

    public void Collect(long[] calls, double[] milliseconds)
    {
        for (int i = 0; i < _calls.Length; i++)
        {
            calls[i] += _calls[i];
            milliseconds[i] += _ticks[i] * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
        }
        Array.Clear(_calls);
        Array.Clear(_ticks);
    }

    public void Dispose()
    {
    }
}
