using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Forward;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>
/// Times operations with pairs of CUDA events recorded on a session's stream: device time from the start marker to the
/// end marker, read once the stream has finished. Event pairs are created as needed and reused; when every pair is in
/// use the clock waits for the stream and folds the finished times into its totals.
/// </summary>
internal sealed class CudaOpClock(CudaContext context, CudaStream stream) : IOpClock
{
    private const int Capacity = 4096;
    private readonly List<(CudaEvent Start, CudaEvent End)> _pairs = [];
    private readonly ForwardOp[] _ops = new ForwardOp[Capacity];
    private readonly long[] _calls = new long[Enum.GetValues<ForwardOp>().Length];
    private readonly double[] _milliseconds = new double[Enum.GetValues<ForwardOp>().Length];
    private int _count;

    public void Begin()
    {
        if (_count == Capacity)
            Fold();
        if (_count == _pairs.Count)
            _pairs.Add((context.CreateEvent(timing: true), context.CreateEvent(timing: true)));
        _pairs[_count].Start.Record(stream);
    }

    public void End(ForwardOp op)
    {
        _pairs[_count].End.Record(stream);
        _ops[_count++] = op;
    }

    public void Collect(long[] calls, double[] milliseconds)
    {
        Fold();
        for (int i = 0; i < _calls.Length; i++)
        {
            calls[i] += _calls[i];
            milliseconds[i] += _milliseconds[i];
        }
        Array.Clear(_calls);
        Array.Clear(_milliseconds);
    }

    public void Dispose()
    {
        foreach (var (start, end) in _pairs)
        {
            start.Dispose();
            end.Dispose();
        }
        _pairs.Clear();
    }

    private void Fold()
    {
        stream.Synchronize();
        for (int i = 0; i < _count; i++)
        {
            _calls[(int)_ops[i]]++;
            _milliseconds[(int)_ops[i]] += _pairs[i].End.ElapsedMillisecondsSince(_pairs[i].Start);
        }
        _count = 0;
    }
}
