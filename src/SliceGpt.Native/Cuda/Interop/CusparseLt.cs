using System.Runtime.InteropServices;

namespace SliceGpt.Native.Cuda.Interop;

/// <summary>
/// Raw cuSPARSELt entry points (cusparseLt.h, version 0.5.2 or later: the compute-type values changed
/// there) for a 2:4 structured-sparse GEMM. Handles and descriptors are opaque structs the caller allocates;
/// their size changed between releases, so <see cref="SparseLtGemm{T}"/> gives each a generous native block
/// (<see cref="OpaqueBytes"/>). Streams are CUstream/cudaStream_t.
/// </summary>
internal static unsafe partial class CusparseLt
{
    private const string Lib = CudaLibraries.CusparseLtName;

    /// <summary>Bytes reserved per opaque struct: above every published size (1,024 to 11,024 bytes).</summary>
    internal const int OpaqueBytes = 16384;

    [LibraryImport(Lib, EntryPoint = "cusparseLtInit")]
    internal static partial CusparseStatus Init(void* handle);

    [LibraryImport(Lib, EntryPoint = "cusparseLtDestroy")]
    internal static partial CusparseStatus Destroy(void* handle);

    [LibraryImport(Lib, EntryPoint = "cusparseLtGetVersion")]
    internal static partial CusparseStatus GetVersion(void* handle, out int version);

    [LibraryImport(Lib, EntryPoint = "cusparseLtDenseDescriptorInit")]
    internal static partial CusparseStatus DenseDescriptorInit(void* handle, void* matrix, long rows, long cols,
        long ld, uint alignment, CudaDataType valueType, CusparseOrder order);

    [LibraryImport(Lib, EntryPoint = "cusparseLtStructuredDescriptorInit")]
    internal static partial CusparseStatus StructuredDescriptorInit(void* handle, void* matrix, long rows, long cols,
        long ld, uint alignment, CudaDataType valueType, CusparseOrder order, CusparseLtSparsity sparsity);

    [LibraryImport(Lib, EntryPoint = "cusparseLtMatDescriptorDestroy")]
    internal static partial CusparseStatus MatDescriptorDestroy(void* matrix);

    [LibraryImport(Lib, EntryPoint = "cusparseLtMatmulDescriptorInit")]
    internal static partial CusparseStatus MatmulDescriptorInit(void* handle, void* matmul, CusparseOperation opA,
        CusparseOperation opB, void* a, void* b, void* c, void* d, CusparseComputeType computeType);

    [LibraryImport(Lib, EntryPoint = "cusparseLtMatmulAlgSelectionInit")]
    internal static partial CusparseStatus MatmulAlgSelectionInit(void* handle, void* selection, void* matmul,
        CusparseLtMatmulAlg algorithm);

    [LibraryImport(Lib, EntryPoint = "cusparseLtMatmulAlgSetAttribute")]
    internal static partial CusparseStatus MatmulAlgSetAttribute(void* handle, void* selection, CusparseLtMatmulAlgAttribute attribute,
        void* data, nuint dataSize);

    [LibraryImport(Lib, EntryPoint = "cusparseLtMatmulAlgGetAttribute")]
    internal static partial CusparseStatus MatmulAlgGetAttribute(void* handle, void* selection, CusparseLtMatmulAlgAttribute attribute,
        void* data, nuint dataSize);

    [LibraryImport(Lib, EntryPoint = "cusparseLtMatmulAlgSelectionDestroy")]
    internal static partial CusparseStatus MatmulAlgSelectionDestroy(void* selection);

    [LibraryImport(Lib, EntryPoint = "cusparseLtMatmulPlanInit")]
    internal static partial CusparseStatus MatmulPlanInit(void* handle, void* plan, void* matmul, void* selection);

    [LibraryImport(Lib, EntryPoint = "cusparseLtMatmulPlanDestroy")]
    internal static partial CusparseStatus MatmulPlanDestroy(void* plan);

    [LibraryImport(Lib, EntryPoint = "cusparseLtMatmulGetWorkspace")]
    internal static partial CusparseStatus MatmulGetWorkspace(void* handle, void* plan, out nuint workspaceBytes);

    [LibraryImport(Lib, EntryPoint = "cusparseLtSpMMAPrune")]
    internal static partial CusparseStatus SpMMAPrune(void* handle, void* matmul, ulong input, ulong output,
        CusparseLtPruneAlg algorithm, nint stream);

    [LibraryImport(Lib, EntryPoint = "cusparseLtSpMMAPruneCheck")]
    internal static partial CusparseStatus SpMMAPruneCheck(void* handle, void* matmul, ulong input, ulong valid, nint stream);

    [LibraryImport(Lib, EntryPoint = "cusparseLtSpMMACompressedSize")]
    internal static partial CusparseStatus SpMMACompressedSize(void* handle, void* plan, out nuint compressedBytes,
        out nuint compressBufferBytes);

    [LibraryImport(Lib, EntryPoint = "cusparseLtSpMMACompress")]
    internal static partial CusparseStatus SpMMACompress(void* handle, void* plan, ulong dense, ulong compressed,
        ulong compressBuffer, nint stream);

    [LibraryImport(Lib, EntryPoint = "cusparseLtMatmul")]
    internal static partial CusparseStatus Matmul(void* handle, void* plan, void* alpha, ulong a, ulong b, void* beta,
        ulong c, ulong d, ulong workspace, nint* streams, int streamCount);

    /// <summary>
    /// Runs every algorithm configuration of the plan (each CUSPARSELT_MATMUL_SEARCH_ITERATIONS times), keeps the fastest in
    /// the plan and in its algorithm selection, and leaves D written (with beta, C accumulates into it once per run).
    /// </summary>
    [LibraryImport(Lib, EntryPoint = "cusparseLtMatmulSearch")]
    internal static partial CusparseStatus MatmulSearch(void* handle, void* plan, void* alpha, ulong a, ulong b, void* beta,
        ulong c, ulong d, ulong workspace, nint* streams, int streamCount);
}

/// <summary>cusparseOrder_t.</summary>
internal enum CusparseOrder
{
    Column = 1,
    Row = 2,
}

/// <summary>cusparseOperation_t.</summary>
internal enum CusparseOperation
{
    None = 0,
    Transpose = 1,
}

/// <summary>cusparseLtSparsity_t.</summary>
internal enum CusparseLtSparsity
{
    Fifty = 0,
}

/// <summary>cusparseComputeType as of cuSPARSELt 0.5.2 (fp16/bf16 inputs accumulate with Compute32F).</summary>
internal enum CusparseComputeType
{
    Compute32I = 0,
    Compute16F = 1,
    Compute32F = 2,
}

/// <summary>cusparseLtMatmulAlg_t.</summary>
internal enum CusparseLtMatmulAlg
{
    Default = 0,
}

/// <summary>cusparseLtMatmulAlgAttribute_t (all int-valued).</summary>
internal enum CusparseLtMatmulAlgAttribute
{
    ConfigId = 0,
    ConfigMaxId = 1,
    SearchIterations = 2,
    SplitK = 3,
    SplitKMode = 4,
    SplitKBuffers = 5,
}

/// <summary>cusparseLtPruneAlg_t.</summary>
internal enum CusparseLtPruneAlg
{
    Tile = 0,
    Strip = 1,
}
