using System.Runtime.InteropServices;
using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// A linear layer on 2:4 structured-sparse tensor cores (cuSPARSELt 0.5.2 or later, compute capability 8.0+):
/// Y[rows, outFeatures] = X[rows, inFeatures]·Wᵀ with the weight pruned to two non-zeros in every four
/// consecutive inputs and stored compressed. fp16 or bf16 storage, fp32 accumulation. X and Y are row-major; how the
/// product is posed to cuSPARSELt (which operand holds the weight, each descriptor's order and op, whether the weight is
/// stored [in, out]) is a <see cref="SparseLtLayout"/>, <see cref="SparseLtLayout.ColumnMajorTN"/> by default. The
/// shapes, the pruned and compressed weight and the plan are fixed at construction. The plan starts with cuSPARSELt's
/// default algorithm; <see cref="Search"/> runs <c>cusparseLtMatmulSearch</c> once and keeps the fastest configuration,
/// remembered per shape, type and layout in a <see cref="SparseLtPlanCache"/> so that an equal product later is planned
/// without searching. <see cref="Forward"/> is the hot call: one <c>cusparseLtMatmul</c>, nothing else on the stream.
/// </summary>
public sealed unsafe class SparseLtGemm<T> : CudaResource where T : unmanaged
{
    private const int Alignment = 16;

    /// <summary>cusparseLtMatmulSearch's runs per configuration (the library's default is 5): more damps one noisy run.</summary>
    public const int SearchIterations = 10;

    // The search may try split-K configurations that need more workspace than the default plan: it gets at least this.
    private const long SearchWorkspaceBytes = 128L << 20;

    private enum Slot { Handle, MatA, MatB, MatC, Matmul, Selection, Plan, Count }

    private byte* _opaque;              // (Slot.Count, OpaqueBytes) cuSPARSELt's opaque structs
    private readonly List<CudaResource> _buffers = [];
    private DeviceBuffer<T>? _compressed;
    private DeviceBuffer<byte>? _workspace;
    private bool _handleReady;          // cusparseLtInit succeeded
    private int _descriptors;           // matrix descriptors initialized, in Slot order from MatA
    private bool _selectionReady;
    private bool _planReady;
    private readonly SparseLtPruning _pruning;
    private readonly SparseLtPlanCache? _plans;

    /// <summary>Prunes a copy of <paramref name="weight"/> to 2:4 along its inputs, compresses it and plans the product.</summary>
    /// <param name="context">The context.</param>
    /// <param name="stream">Where pruning and compression run.</param>
    /// <param name="weight">The weight as <paramref name="layout"/> stores it: [outFeatures, inFeatures] row-major, or
    /// [inFeatures, outFeatures] when <see cref="SparseLtLayout.WeightTransposed"/>.</param>
    /// <param name="outFeatures">m of the layer: outputs.</param>
    /// <param name="inFeatures">k: inputs, along which the 2:4 groups run.</param>
    /// <param name="rows">Activation rows per call (a multiple of <see cref="SparseLtProblem.RowMultiple"/>).</param>
    /// <param name="pruning">
    /// cuSPARSELt's pruning pattern, or <see cref="SparseLtPruning.AlreadyPruned"/> to compress a weight the caller pruned
    /// (checked by cuSPARSELt, used exactly as given).
    /// </param>
    /// <param name="layout">How the product is posed to cuSPARSELt; <see cref="SparseLtLayout.ColumnMajorTN"/> when null.</param>
    /// <param name="plans">Where searched algorithms are remembered: a cached one for this shape, type and layout is used
    /// at once, without a search.</param>
    /// <exception cref="CudaUnavailableException">cuSPARSELt is not installed.</exception>
    /// <exception cref="NotSupportedException">The installed cuSPARSELt is older than 0.5.2, or T is not Half or BFloat16.</exception>
    /// <exception cref="ArgumentException">A dimension is not what cuSPARSELt needs (see <see cref="Describe"/>).</exception>
    public SparseLtGemm(CudaContext context, CudaStream stream, DeviceMemory<T> weight, int outFeatures, int inFeatures, int rows,
        SparseLtPruning pruning = SparseLtPruning.Tile, SparseLtLayout? layout = null, SparseLtPlanCache? plans = null)
        : base(Checked(context, outFeatures, inFeatures, rows, pruning, layout ?? SparseLtLayout.ColumnMajorTN))
    {
        _pruning = pruning;
        _plans = plans;
        Problem = SparseLtProblem.For(outFeatures, inFeatures, rows, layout ?? SparseLtLayout.ColumnMajorTN);
        (OutFeatures, InFeatures, Rows) = (outFeatures, inFeatures, rows);
        try
        {
            weight.EnsureLength((long)outFeatures * inFeatures, Layout.WeightTransposed ? "weight [inFeatures, outFeatures]" : "weight [outFeatures, inFeatures]");
            CudaLibraries.EnsureLoaded(CudaLibrary.CusparseLt);
            _opaque = (byte*)NativeMemory.AlignedAlloc((nuint)((int)Slot.Count * CusparseLt.OpaqueBytes), 64);
            NativeMemory.Clear(_opaque, (nuint)((int)Slot.Count * CusparseLt.OpaqueBytes));
            using var scope = context.Bind();
            SparseLtAlgorithm? cached = plans is not null && plans.TryGet(Key, out var found) ? found : null;
            Plan(cached);
            PruneAndCompress(stream, weight);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks the arguments of a product as the constructor does, without a GPU: the element type (Half or BFloat16), the
    /// pruning mode, the layout and each dimension. Returns the descriptors cuSPARSELt would be given.
    /// </summary>
    /// <exception cref="NotSupportedException">T is not Half or BFloat16.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The pruning mode or a layout field is not a defined value.</exception>
    /// <exception cref="ArgumentException">A dimension is not positive or not the multiple cuSPARSELt needs.</exception>
    public static SparseLtProblem Describe(int outFeatures, int inFeatures, int rows, SparseLtLayout layout,
        SparseLtPruning pruning = SparseLtPruning.Tile)
    {
        if (typeof(T) != typeof(Half) && typeof(T) != typeof(BFloat16))
            throw new NotSupportedException($"2:4 sparse GEMM stores Half or BFloat16, not {typeof(T).Name}");
        if (!Enum.IsDefined(pruning))
            throw new ArgumentOutOfRangeException(nameof(pruning), pruning, "not a pruning mode");
        return SparseLtProblem.For(outFeatures, inFeatures, rows, layout);
    }

    private static CudaContext Checked(CudaContext context, int outFeatures, int inFeatures, int rows, SparseLtPruning pruning,
        SparseLtLayout layout)
    {
        ArgumentNullException.ThrowIfNull(context);
        Describe(outFeatures, inFeatures, rows, layout, pruning);
        return context;
    }

    /// <summary>m: output features.</summary>
    public int OutFeatures { get; }

    /// <summary>k: input features.</summary>
    public int InFeatures { get; }

    /// <summary>n: activation rows per call.</summary>
    public int Rows { get; }

    /// <summary>The descriptors and ops the product was planned with.</summary>
    public SparseLtProblem Problem { get; }

    /// <summary>How the product is posed to cuSPARSELt.</summary>
    public SparseLtLayout Layout => Problem.Layout;

    /// <summary>This product's key in a <see cref="SparseLtPlanCache"/>.</summary>
    public SparseLtPlanKey Key => SparseLtPlanKey.For<T>(OutFeatures, InFeatures, Rows, Layout);

    /// <summary>The algorithm configuration the plan runs: the default heuristic's until <see cref="IsSearched"/>.</summary>
    public SparseLtAlgorithm Algorithm { get; private set; }

    /// <summary>True once the plan holds a searched configuration (searched here, or taken from the plan cache).</summary>
    public bool IsSearched { get; private set; }

    /// <summary>Bytes of workspace the plan uses per call.</summary>
    public long WorkspaceBytes { get; private set; }

    /// <summary>The pruned weight, dense and in the layout's storage (half its entries zero), for reference products.</summary>
    public DeviceBuffer<T> PrunedWeight { get; private set; } = null!;

    /// <summary>Y = X·Wᵀ (or Y += X·Wᵀ when <paramref name="accumulate"/>) with X [Rows, InFeatures] and Y [Rows, OutFeatures], row-major.</summary>
    public void Forward(CudaStream stream, DeviceMemory<T> x, DeviceMemory<T> y, bool accumulate = false)
    {
        ThrowIfDisposed();
        x.EnsureLength((long)Rows * InFeatures, "x [rows, inFeatures]");
        y.EnsureLength((long)Rows * OutFeatures, "y [rows, outFeatures]");
        float alpha = 1f, beta = accumulate ? 1f : 0f;
        nint streamHandle = stream.Handle;
        var (a, b) = Operands(x);
        using var scope = Context.Bind();
        CusparseLtCheck.ThrowIfFailed(CusparseLt.Matmul(At(Slot.Handle), At(Slot.Plan), &alpha, a, b, &beta, y.Address, y.Address,
            _workspace!.Address, &streamHandle, 1));
    }

    /// <summary>
    /// Makes the plan run the fastest configuration for this shape, type and layout: the plan cache's entry when it has one,
    /// else <c>cusparseLtMatmulSearch</c> (every configuration <see cref="SearchIterations"/> times, on
    /// <paramref name="stream"/>, with <paramref name="x"/> as input and <paramref name="y"/> overwritten), whose choice is
    /// then cached. Once searched, later calls return at once. Call it outside any timed region.
    /// </summary>
    /// <returns>The configuration the plan now runs.</returns>
    public SparseLtAlgorithm Search(CudaStream stream, DeviceMemory<T> x, DeviceMemory<T> y)
    {
        ThrowIfDisposed();
        if (IsSearched)
            return Algorithm;
        x.EnsureLength((long)Rows * InFeatures, "x [rows, inFeatures]");
        y.EnsureLength((long)Rows * OutFeatures, "y [rows, outFeatures]");
        using var scope = Context.Bind();
        bool searchedHere = false;
        SparseLtAlgorithm RunSearch()
        {
            searchedHere = true;
            return SearchNow(stream, x, y);
        }
        var chosen = _plans is null ? RunSearch() : _plans.GetOrSearch(Key, RunSearch);
        if (!searchedHere)
            Replan(chosen); // another product of this key searched since this plan was made
        IsSearched = true;
        return Algorithm;
    }

    private SparseLtAlgorithm SearchNow(CudaStream stream, DeviceMemory<T> x, DeviceMemory<T> y)
    {
        float alpha = 1f, beta = 0f;
        nint streamHandle = stream.Handle;
        var (a, b) = Operands(x);
        using (var searchSpace = Context.Allocate<byte>(Math.Max(SearchWorkspaceBytes, WorkspaceBytes)))
        {
            CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulSearch(At(Slot.Handle), At(Slot.Plan), &alpha, a, b, &beta, y.Address,
                y.Address, searchSpace.Address, &streamHandle, 1));
            stream.Synchronize();
        }
        Algorithm = ReadAlgorithm();
        AllocateWorkspace();
        return Algorithm;
    }

    private (ulong A, ulong B) Operands(DeviceMemory<T> x) =>
        Layout.Structured == SparseLtOperand.A ? (_compressed!.Address, x.Address) : (x.Address, _compressed!.Address);

    private void Plan(SparseLtAlgorithm? algorithm)
    {
        var type = CudaTypes.DataType<T>();
        CusparseLtCheck.ThrowIfFailed(CusparseLt.Init(At(Slot.Handle)));
        _handleReady = true;
        CusparseLtCheck.ThrowIfFailed(CusparseLt.GetVersion(At(Slot.Handle), out int version));
        if (version < 502)
            throw new NotSupportedException($"cuSPARSELt {version / 1000}.{version / 100 % 10}.{version % 100} is older than 0.5.2, whose compute types this binding uses");
        var p = Problem;
        bool weightIsA = Layout.Structured == SparseLtOperand.A;
        foreach (var (slot, matrix, structured) in new[] { (Slot.MatA, p.A, weightIsA), (Slot.MatB, p.B, !weightIsA), (Slot.MatC, p.C, false) })
        {
            var order = matrix.Order == SparseLtOrder.Row ? CusparseOrder.Row : CusparseOrder.Column;
            CusparseLtCheck.ThrowIfFailed(structured
                ? CusparseLt.StructuredDescriptorInit(At(Slot.Handle), At(slot), matrix.Rows, matrix.Cols, matrix.Ld, Alignment, type, order,
                    CusparseLtSparsity.Fifty)
                : CusparseLt.DenseDescriptorInit(At(Slot.Handle), At(slot), matrix.Rows, matrix.Cols, matrix.Ld, Alignment, type, order));
            _descriptors++;
        }
        CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulDescriptorInit(At(Slot.Handle), At(Slot.Matmul), Operation(p.OpA), Operation(p.OpB),
            At(Slot.MatA), At(Slot.MatB), At(Slot.MatC), At(Slot.MatC), CusparseComputeType.Compute32F));
        CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulAlgSelectionInit(At(Slot.Handle), At(Slot.Selection),
            At(Slot.Matmul), CusparseLtMatmulAlg.Default));
        _selectionReady = true;
        // Best effort: a release that refuses the attribute searches with its own default count.
        TrySetAttribute(CusparseLtMatmulAlgAttribute.SearchIterations, SearchIterations);
        if (algorithm is { } cached)
            Apply(cached);
        CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulPlanInit(At(Slot.Handle), At(Slot.Plan), At(Slot.Matmul), At(Slot.Selection)));
        _planReady = true;
        Algorithm = ReadAlgorithm();
        IsSearched = algorithm is not null;
        AllocateWorkspace();
    }

    // Rebuilds the plan around a configuration found by another product of the same key.
    private void Replan(SparseLtAlgorithm algorithm)
    {
        _planReady = false;
        CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulPlanDestroy(At(Slot.Plan)));
        Apply(algorithm);
        CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulPlanInit(At(Slot.Handle), At(Slot.Plan), At(Slot.Matmul), At(Slot.Selection)));
        _planReady = true;
        Algorithm = ReadAlgorithm();
        AllocateWorkspace();
    }

    private void Apply(SparseLtAlgorithm algorithm)
    {
        if (algorithm.ConfigId >= 0)
            SetAttribute(CusparseLtMatmulAlgAttribute.ConfigId, algorithm.ConfigId);
        // Split-K attributes are set only when the configuration splits: "not set" (the heuristic) is not a value one can write.
        if (algorithm.UsesSplitK)
        {
            SetAttribute(CusparseLtMatmulAlgAttribute.SplitK, algorithm.SplitK);
            if (algorithm.SplitKMode > 0)
                SetAttribute(CusparseLtMatmulAlgAttribute.SplitKMode, algorithm.SplitKMode);
            if (algorithm.SplitKBuffers > 0)
                SetAttribute(CusparseLtMatmulAlgAttribute.SplitKBuffers, algorithm.SplitKBuffers);
        }
    }

    private void SetAttribute(CusparseLtMatmulAlgAttribute attribute, int value) =>
        CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulAlgSetAttribute(At(Slot.Handle), At(Slot.Selection), attribute, &value, sizeof(int)));

    private bool TrySetAttribute(CusparseLtMatmulAlgAttribute attribute, int value) =>
        CusparseLt.MatmulAlgSetAttribute(At(Slot.Handle), At(Slot.Selection), attribute, &value, sizeof(int)) == CusparseStatus.Success;

    // The configuration is read back for reports and the plan cache; a release that will not report one attribute
    // (the split-K buffers before split-K is set, say) gives -1 for it rather than failing a product that works.
    private int GetAttribute(CusparseLtMatmulAlgAttribute attribute)
    {
        int value = 0;
        return CusparseLt.MatmulAlgGetAttribute(At(Slot.Handle), At(Slot.Selection), attribute, &value, sizeof(int)) == CusparseStatus.Success
            ? value
            : -1;
    }

    private SparseLtAlgorithm ReadAlgorithm() => new(GetAttribute(CusparseLtMatmulAlgAttribute.ConfigId),
        GetAttribute(CusparseLtMatmulAlgAttribute.ConfigMaxId), GetAttribute(CusparseLtMatmulAlgAttribute.SplitK),
        GetAttribute(CusparseLtMatmulAlgAttribute.SplitKMode), GetAttribute(CusparseLtMatmulAlgAttribute.SplitKBuffers));

    // The plan's workspace, re-read whenever its configuration changes (split-K needs room for partial sums).
    private void AllocateWorkspace()
    {
        CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulGetWorkspace(At(Slot.Handle), At(Slot.Plan), out nuint workspaceBytes));
        long bytes = Math.Max(1, (long)workspaceBytes);
        WorkspaceBytes = (long)workspaceBytes;
        if (_workspace is not null && _workspace.Length >= bytes)
            return;
        if (_workspace is not null)
        {
            _buffers.Remove(_workspace);
            _workspace.Dispose();
        }
        _workspace = Own(Context.Allocate<byte>(bytes));
    }

    private static CusparseOperation Operation(SparseLtOp op) => op == SparseLtOp.N ? CusparseOperation.None : CusparseOperation.Transpose;

    private void PruneAndCompress(CudaStream stream, DeviceMemory<T> weight)
    {
        long length = (long)OutFeatures * InFeatures;
        PrunedWeight = Own(Context.Allocate<T>(length));
        if (_pruning == SparseLtPruning.AlreadyPruned)
            stream.CopyDeviceToDevice(weight.Slice(0, length), PrunedWeight.Memory);
        else
            CusparseLtCheck.ThrowIfFailed(CusparseLt.SpMMAPrune(At(Slot.Handle), At(Slot.Matmul), weight.Address,
                PrunedWeight.Address, (CusparseLtPruneAlg)_pruning, stream.Handle));
        using var valid = Context.Allocate<int>(1);
        CusparseLtCheck.ThrowIfFailed(CusparseLt.SpMMAPruneCheck(At(Slot.Handle), At(Slot.Matmul), PrunedWeight.Address,
            valid.Address, stream.Handle));
        CusparseLtCheck.ThrowIfFailed(CusparseLt.SpMMACompressedSize(At(Slot.Handle), At(Slot.Plan),
            out nuint compressedBytes, out nuint bufferBytes));
        _compressed = Own(Context.Allocate<T>(((long)compressedBytes + sizeof(T) - 1) / sizeof(T)));
        using var buffer = Context.Allocate<byte>(Math.Max(1, (long)bufferBytes));
        CusparseLtCheck.ThrowIfFailed(CusparseLt.SpMMACompress(At(Slot.Handle), At(Slot.Plan), PrunedWeight.Address,
            _compressed.Address, buffer.Address, stream.Handle));
        Span<int> check = stackalloc int[1];
        stream.CopyToHost(valid.Memory, check);
        stream.Synchronize();
        if (check[0] != 0)
            throw new InvalidOperationException(_pruning == SparseLtPruning.AlreadyPruned
                ? "the weight given as already pruned is not 2:4 along its inputs (cusparseLtSpMMAPruneCheck)"
                : "cuSPARSELt's pruned weight failed its own 2:4 check");
    }

    private TBuffer Own<TBuffer>(TBuffer buffer) where TBuffer : CudaResource
    {
        _buffers.Add(buffer);
        return buffer;
    }

    private void* At(Slot slot) => _opaque + (int)slot * CusparseLt.OpaqueBytes;

    /// <inheritdoc/>
    protected override void ReleaseNative()
    {
        if (_opaque == null)
            return;
        try
        {
            if (_planReady)
                CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulPlanDestroy(At(Slot.Plan)));
            if (_selectionReady)
            {
                try
                {
                    CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulAlgSelectionDestroy(At(Slot.Selection)));
                }
                catch (EntryPointNotFoundException)
                {
                    // Releases before 0.6 have no destroy call for an algorithm selection: nothing to free there.
                }
            }
            for (int i = 0; i < _descriptors; i++)
                CusparseLtCheck.ThrowIfFailed(CusparseLt.MatDescriptorDestroy(At(Slot.MatA + i)));
            if (_handleReady)
                CusparseLtCheck.ThrowIfFailed(CusparseLt.Destroy(At(Slot.Handle)));
        }
        finally
        {
            foreach (var buffer in _buffers)
                buffer.Dispose();
            NativeMemory.AlignedFree(_opaque);
            _opaque = null;
        }
    }
}

/// <summary>How <see cref="SparseLtGemm{T}"/> makes a weight 2:4 (the first two are cusparseLtPruneAlg_t).</summary>
public enum SparseLtPruning
{
    /// <summary>cuSPARSELt keeps eight of every 4×4 tile, two per row and two per column, maximising the tile's L1 norm.</summary>
    Tile = 0,
    /// <summary>cuSPARSELt keeps the two largest magnitudes of every four consecutive inputs (magnitude 2:4).</summary>
    Strip = 1,
    /// <summary>
    /// The caller already pruned the weight to two non-zeros in every four consecutive inputs: it is checked and compressed
    /// as given, so the caller's pattern (its choice among equal magnitudes included) is exactly the one multiplied.
    /// </summary>
    AlreadyPruned = 2,
}
