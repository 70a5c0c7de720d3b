using System.Runtime.InteropServices;
using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// A linear layer on 2:4 structured-sparse tensor cores (cuSPARSELt 0.5.2 or later, compute capability 8.0+):
/// Y[rows, outFeatures] = X[rows, inFeatures]·Wᵀ with the weight pruned to two non-zeros in every four
/// consecutive inputs and stored compressed. fp16 or bf16 storage, fp32 accumulation. The shapes, the pruned
/// and compressed weight and the plan are fixed at construction; <see cref="Forward"/> is the hot call, for
/// the benchmarks that compare it with dense cuBLAS.
/// Column-major view (cuSPARSELt's "TN" case): the stored weight is the k×m matrix Wᵀ (ld k) used with op T,
/// X is the k×n matrix Xᵀ (ld k) and Y the m×n matrix Yᵀ (ld m), with m = outFeatures, k = inFeatures,
/// n = rows. All three must be multiples of 16.
/// </summary>
public sealed unsafe class SparseLtGemm<T> : CudaResource where T : unmanaged
{
    private const int Alignment = 16;
    private enum Slot { Handle, MatA, MatB, MatC, Matmul, Selection, Plan, Count }

    private byte* _opaque;              // (Slot.Count, OpaqueBytes) cuSPARSELt's opaque structs
    private readonly List<CudaResource> _buffers = [];
    private DeviceBuffer<T>? _compressed;
    private DeviceBuffer<byte>? _workspace;
    private bool _handleReady;          // cusparseLtInit succeeded
    private int _descriptors;           // matrix descriptors initialized, in Slot order from MatA
    private bool _planReady;
    private readonly SparseLtPruning _pruning;

    /// <summary>Prunes a copy of <paramref name="weight"/> [outFeatures, inFeatures] to 2:4, compresses it and plans the product.</summary>
    /// <param name="pruning">
    /// cuSPARSELt's pruning pattern, or <see cref="SparseLtPruning.AlreadyPruned"/> to compress a weight the caller pruned
    /// (checked by cuSPARSELt, used exactly as given).
    /// </param>
    /// <exception cref="CudaUnavailableException">cuSPARSELt is not installed.</exception>
    /// <exception cref="NotSupportedException">The installed cuSPARSELt is older than 0.5.2.</exception>
    public SparseLtGemm(CudaContext context, CudaStream stream, DeviceMemory<T> weight, int outFeatures, int inFeatures, int rows,
        SparseLtPruning pruning = SparseLtPruning.Tile)
        : base(context)
    {
        if (!Enum.IsDefined(pruning))
            throw new ArgumentOutOfRangeException(nameof(pruning), pruning, "not a pruning mode");
        _pruning = pruning;
        if (typeof(T) != typeof(Half) && typeof(T) != typeof(BFloat16))
            throw new NotSupportedException($"2:4 sparse GEMM stores Half or BFloat16, not {typeof(T).Name}");
        foreach (var (name, value) in new[] { ("outFeatures", outFeatures), ("inFeatures", inFeatures), ("rows", rows) })
        {
            if (value <= 0 || value % 16 != 0)
                throw new ArgumentException($"{name} = {value}: cuSPARSELt needs a positive multiple of 16");
        }
        weight.EnsureLength((long)outFeatures * inFeatures, "weight [outFeatures, inFeatures]");
        (OutFeatures, InFeatures, Rows) = (outFeatures, inFeatures, rows);
        try
        {
            CudaLibraries.EnsureLoaded(CudaLibrary.CusparseLt);
            _opaque = (byte*)NativeMemory.AlignedAlloc((nuint)((int)Slot.Count * CusparseLt.OpaqueBytes), 64);
            NativeMemory.Clear(_opaque, (nuint)((int)Slot.Count * CusparseLt.OpaqueBytes));
            using var scope = context.Bind();
            Plan();
            PruneAndCompress(stream, weight);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>m: output features.</summary>
    public int OutFeatures { get; }

    /// <summary>k: input features.</summary>
    public int InFeatures { get; }

    /// <summary>n: activation rows per call.</summary>
    public int Rows { get; }

    /// <summary>The pruned weight, dense [outFeatures, inFeatures] (half its entries zero), for reference products.</summary>
    public DeviceBuffer<T> PrunedWeight { get; private set; } = null!;

    /// <summary>Y = X·Wᵀ (or Y += X·Wᵀ when <paramref name="accumulate"/>) with X [Rows, InFeatures] and Y [Rows, OutFeatures].</summary>
    public void Forward(CudaStream stream, DeviceMemory<T> x, DeviceMemory<T> y, bool accumulate = false)
    {
        ThrowIfDisposed();
        x.EnsureLength((long)Rows * InFeatures, "x [rows, inFeatures]");
        y.EnsureLength((long)Rows * OutFeatures, "y [rows, outFeatures]");
        float alpha = 1f, beta = accumulate ? 1f : 0f;
        nint streamHandle = stream.Handle;
        using var scope = Context.Bind();
        CusparseLtCheck.ThrowIfFailed(CusparseLt.Matmul(At(Slot.Handle), At(Slot.Plan), &alpha, _compressed!.Address,
            x.Address, &beta, y.Address, y.Address, _workspace!.Address, &streamHandle, 1));
    }

    private void Plan()
    {
        var type = CudaTypes.DataType<T>();
        CusparseLtCheck.ThrowIfFailed(CusparseLt.Init(At(Slot.Handle)));
        _handleReady = true;
        CusparseLtCheck.ThrowIfFailed(CusparseLt.GetVersion(At(Slot.Handle), out int version));
        if (version < 502)
            throw new NotSupportedException($"cuSPARSELt {version / 1000}.{version / 100 % 10}.{version % 100} is older than 0.5.2, whose compute types this binding uses");
        CusparseLtCheck.ThrowIfFailed(CusparseLt.StructuredDescriptorInit(At(Slot.Handle), At(Slot.MatA), InFeatures,
            OutFeatures, InFeatures, Alignment, type, CusparseOrder.Column, CusparseLtSparsity.Fifty));
        _descriptors = 1;
        CusparseLtCheck.ThrowIfFailed(CusparseLt.DenseDescriptorInit(At(Slot.Handle), At(Slot.MatB), InFeatures, Rows,
            InFeatures, Alignment, type, CusparseOrder.Column));
        _descriptors = 2;
        CusparseLtCheck.ThrowIfFailed(CusparseLt.DenseDescriptorInit(At(Slot.Handle), At(Slot.MatC), OutFeatures, Rows,
            OutFeatures, Alignment, type, CusparseOrder.Column));
        _descriptors = 3;
        CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulDescriptorInit(At(Slot.Handle), At(Slot.Matmul),
            CusparseOperation.Transpose, CusparseOperation.None, At(Slot.MatA), At(Slot.MatB), At(Slot.MatC), At(Slot.MatC),
            CusparseComputeType.Compute32F));
        CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulAlgSelectionInit(At(Slot.Handle), At(Slot.Selection),
            At(Slot.Matmul), CusparseLtMatmulAlg.Default));
        CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulPlanInit(At(Slot.Handle), At(Slot.Plan), At(Slot.Matmul), At(Slot.Selection)));
        _planReady = true;
        CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulGetWorkspace(At(Slot.Handle), At(Slot.Plan), out nuint workspaceBytes));
        _workspace = Own(Context.Allocate<byte>(Math.Max(1, (long)workspaceBytes)));
    }

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
            {
                CusparseLtCheck.ThrowIfFailed(CusparseLt.MatmulPlanDestroy(At(Slot.Plan)));
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
