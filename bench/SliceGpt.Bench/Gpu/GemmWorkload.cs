using SliceGpt.Bench.Gpu.EndToEnd;
using SliceGpt.Bench.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Bench.Gpu;

/// <summary>One case's prepared product: operands on the GPU, checked and warmed up.</summary>
internal interface IGemmWorkload : IDisposable
{
    /// <summary>Times as many products as <paramref name="microseconds"/> has slots, each between its own CUDA events.</summary>
    void TimeRepetitions(Span<double> microseconds);
}

/// <summary>Makes the workloads; the tests replace <see cref="Create"/> to run the suites' plumbing without a GPU.</summary>
internal static class GemmWorkloads
{
    /// <summary>The factory the suites use: (case, repetitions per call) to a checked, warmed-up workload.</summary>
    /// <exception cref="CaseSkippedException">The case cannot run here for an expected reason (a layout cuSPARSELt lacks).</exception>
    public static Func<GemmCase, int, IGemmWorkload> Create { get; set; } = OnGpu;

    private static IGemmWorkload OnGpu(GemmCase c, int repetitions)
    {
        var gpu = GpuSession.Get();
        return c.Precision == GemmPrecision.Bf16
            ? new GemmWorkload<BFloat16>(gpu, c, repetitions)
            : new GemmWorkload<Half>(gpu, c, repetitions);
    }
}

/// <summary>
/// One case's operands on the GPU and its timed product. Dense, sliced and folded products are cuBLAS GemmEx (fp16 or bf16
/// storage, fp32 accumulation, tensor cores); 2:4 products are cuSPARSELt on the weight magnitude-pruned here and compressed,
/// in the case's layout, with the plan searched once per shape (<see cref="GpuSession.SparsePlans"/>) when the case asks.
/// The constructor checks a few outputs against a host fp64 reference (<see cref="GemmCheck"/>) and warms up, so a case that
/// computes the wrong thing never gets timed; the timed region holds the product's one library call and nothing else.
/// </summary>
internal sealed class GemmWorkload<T> : IGemmWorkload where T : unmanaged
{
    private const int WarmupProducts = 3;

    private readonly GpuSession _gpu;
    private readonly GemmCase _case;
    private readonly DeviceBuffer<T> _x;             // (rows, in); rows = tokens, padded to 8 for 2:4
    private readonly DeviceBuffer<T> _y;             // (rows, out)
    private readonly DeviceBuffer<T>? _weight;       // (out, in), or (in, out) for a shortcut; null when sparse
    private readonly SparseLtGemm<T>? _sparse;       // owns the pruned and the compressed weight
    private readonly CudaEvent[] _start, _stop;      // (repetitions)
    private bool _disposed;

    /// <summary>Uploads random operands, plans (and for 2:4 searches), verifies one product and warms up.</summary>
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
            var x = HostData.Matrix<T>(c.Rows, c.InFeatures, seed, 1f);
            float scale = 1f / MathF.Sqrt(c.InFeatures);
            var w = c.IsShortcut
                ? HostData.Matrix<T>(c.InFeatures, c.OutFeatures, seed + 1, scale)
                : HostData.Matrix<T>(c.OutFeatures, c.InFeatures, seed + 1, scale, pruneTwoFour: c.IsSparse);
            _x = context.Upload<T>(x);
            _y = context.Allocate<T>((long)c.Rows * c.OutFeatures);
            if (c.Sparse is { } setup)
                _sparse = CreateSparse(gpu, c, setup, w);
            else
                _weight = context.Upload<T>(w);
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

    private SparseLtGemm<T> CreateSparse(GpuSession gpu, GemmCase c, SparseSetup setup, T[] w)
    {
        var layout = setup.Layout;
        // The host's magnitude 2:4 weight is compressed as given (cuSPARSELt checks it is 2:4): letting cuSPARSELt prune
        // again could break ties between equal magnitudes differently from the host reference. A layout that stores the
        // weight [in, out] gets it transposed here, once, as an offline conversion would.
        using var weight = gpu.Context.Upload<T>(layout.WeightTransposed ? HostData.Transpose(w, c.OutFeatures, c.InFeatures) : w);
        SparseLtGemm<T> sparse;
        try
        {
            // Searched setups share the session's plan cache; the default-algorithm setup gets none, so it never picks up
            // a searched plan of the same key.
            sparse = new SparseLtGemm<T>(gpu.Context, gpu.Stream, weight, c.OutFeatures, c.InFeatures, c.Rows,
                SparseLtPruning.AlreadyPruned, layout, setup.Search ? gpu.SparsePlans : null);
        }
        catch (CudaException e) when (Unsupported(e, layout))
        {
            throw new CaseSkippedException($"cuSPARSELt does not implement {layout.Name} for this shape: {e.StatusName}");
        }
        try
        {
            bool cached = sparse.IsSearched;
            if (setup.Search)
            {
                try
                {
                    sparse.Search(gpu.Stream, _x, _y);
                }
                catch (CudaException e) when (e.Library == "cuSPARSELt")
                {
                    // Reported, not timed with the default plan under the searched setup's name.
                    throw new CaseSkippedException($"cusparseLtMatmulSearch failed for {layout.Name}: {e.StatusName}");
                }
            }
            GemmResults.Note(c.Id, $"{sparse.Algorithm}{(setup.Search ? cached ? ", searched earlier (plan cache)" : ", searched" : ", default algorithm")}" +
                               $"; workspace {sparse.WorkspaceBytes >> 10} KiB" + (c.Rows != c.Tokens ? $"; {c.Tokens} rows padded to {c.Rows}" : ""));
            return sparse;
        }
        catch
        {
            sparse.Dispose();
            throw;
        }
    }

    // A layout the installed cuSPARSELt rejects is an expected finding (the suite tries them to learn which work); the
    // first GPU run's layout is known to work, so its failure stays a failure.
    private static bool Unsupported(CudaException e, SparseLtLayout layout) =>
        e.Library == "cuSPARSELt" && layout != SparseLtLayout.ColumnMajorTN
        && e.StatusCode is (int)CusparseStatus.NotSupported or (int)CusparseStatus.InvalidValue;

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
            _gpu.Blas.GemmRowMajor<T>(stream, false, false, c.Rows, c.OutFeatures, c.InFeatures, 1f, _x, c.InFeatures,
                _weight!, c.OutFeatures, 0f, _y, c.OutFeatures);
        else
            _gpu.Blas.Linear<T>(stream, _x, _weight!, _y, c.Rows, c.InFeatures, c.OutFeatures);
    }

    private double ReadOutput(long index)
    {
        Span<T> one = stackalloc T[1];
        _y.CopyToHost(one, index);
        return HostData.ToDouble(one[0]);
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
