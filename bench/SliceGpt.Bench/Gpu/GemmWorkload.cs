using SliceGpt.Bench.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Bench.Gpu;

/// <summary>
/// One case's operands on the GPU and its timed product. Dense and sliced products are cuBLAS GemmEx (fp16 storage,
/// fp32 accumulation, tensor cores); 2:4 products are cuSPARSELt on the weight magnitude-pruned here and compressed.
/// The constructor checks a few outputs against a host fp64 reference (<see cref="GemmCheck"/>) and warms up, so a case
/// that computes the wrong thing never gets timed.
/// </summary>
internal sealed class GemmWorkload : IDisposable
{
    private const int WarmupProducts = 3;

    private readonly GpuSession _gpu;
    private readonly GemmCase _case;
    private readonly DeviceBuffer<Half> _x;          // (tokens, in)
    private readonly DeviceBuffer<Half> _y;          // (tokens, out)
    private readonly DeviceBuffer<Half>? _weight;    // (out, in), or (in, out) for a shortcut; null when sparse
    private readonly SparseLtGemm<Half>? _sparse;    // owns the pruned and the compressed weight
    private readonly CudaEvent[] _start, _stop;      // (repetitions)
    private bool _disposed;

    /// <summary>Uploads random operands, verifies one product and warms up.</summary>
    /// <param name="gpu">The process's GPU.</param>
    /// <param name="gemmCase">What to multiply.</param>
    /// <param name="repetitions">Products timed per <see cref="TimeRepetitions"/> call.</param>
    public GemmWorkload(GpuSession gpu, GemmCase gemmCase, int repetitions)
    {
        (_gpu, _case) = (gpu, gemmCase);
        var c = gemmCase;
        var context = gpu.Context;
        _start = new CudaEvent[repetitions];
        _stop = new CudaEvent[repetitions];
        try
        {
            // x ~ U(−1, 1) and w ~ U(−1, 1)/√in keep every output near unit scale (std ≈ 1/3) whatever the shape, so one
            // tolerance fits all cases; random rather than constant data keeps the tensor cores' power draw realistic.
            ulong seed = HostData.Seed(c.Id);
            var x = HostData.Uniform((long)c.Tokens * c.InFeatures, seed, 1f);
            var w = HostData.Uniform((long)c.OutFeatures * c.InFeatures, seed + 1, 1f / MathF.Sqrt(c.InFeatures));
            if (c.IsSparse)
                HostData.PruneTwoFour(w, c.InFeatures);
            _x = context.Upload<Half>(x);
            _y = context.Allocate<Half>((long)c.Tokens * c.OutFeatures);
            var weight = context.Upload<Half>(w);
            if (c.IsSparse)
            {
                // The host's magnitude 2:4 weight is compressed as given (cuSPARSELt checks it is 2:4): letting cuSPARSELt
                // prune again could break ties between equal magnitudes differently from the host reference.
                using (weight)
                    _sparse = new SparseLtGemm<Half>(context, gpu.Stream, weight, c.OutFeatures, c.InFeatures, c.Tokens,
                        SparseLtPruning.AlreadyPruned);
            }
            else
            {
                _weight = weight;
            }
            for (int i = 0; i < repetitions; i++)
            {
                _start[i] = context.CreateEvent();
                _stop[i] = context.CreateEvent();
            }
            Run();
            gpu.Stream.Synchronize();
            GemmCheck.Verify(c, x, w, ReadOutput);
            for (int i = 0; i < WarmupProducts; i++)
                Run();
            gpu.Stream.Synchronize();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Times <c>repetitions</c> products into <paramref name="microseconds"/>: for each, the L2 flush, then a CUDA event,
    /// the product, and a second event. Only the stream time between the two events counts, so neither the host's
    /// launch overhead nor the flush is in it. Everything is queued before the first wait, so the host runs ahead of the
    /// GPU and no repetition waits for a launch; a first flush gives the queue a head start.
    /// </summary>
    public void TimeRepetitions(Span<double> microseconds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (microseconds.Length != _start.Length)
            throw new ArgumentException($"expected {_start.Length} slots, got {microseconds.Length}", nameof(microseconds));
        var stream = _gpu.Stream;
        _gpu.Flush.Clear(stream);
        for (int i = 0; i < _start.Length; i++)
        {
            _gpu.Flush.Clear(stream);
            _start[i].Record(stream);
            Run();
            _stop[i].Record(stream);
        }
        for (int i = 0; i < _start.Length; i++)
            microseconds[i] = 1000.0 * _stop[i].ElapsedMillisecondsSince(_start[i]);
    }

    private void Run()
    {
        var c = _case;
        var stream = _gpu.Stream;
        if (_sparse is not null)
            _sparse.Forward(stream, _x, _y);
        else if (c.IsShortcut) // h = x·S with S stored [in, out], as the sliced checkpoint stores it
            _gpu.Blas.GemmRowMajor<Half>(stream, false, false, c.Tokens, c.OutFeatures, c.InFeatures, 1f, _x, c.InFeatures,
                _weight!, c.OutFeatures, 0f, _y, c.OutFeatures);
        else
            _gpu.Blas.Linear<Half>(stream, _x, _weight!, _y, c.Tokens, c.InFeatures, c.OutFeatures);
    }

    private Half ReadOutput(long index)
    {
        Span<Half> one = stackalloc Half[1];
        _y.CopyToHost(one, index);
        return one[0];
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var e in _start.Concat(_stop))
            e?.Dispose();
        _sparse?.Dispose();
        _weight?.Dispose();
        _y?.Dispose();
        _x?.Dispose();
    }
}
