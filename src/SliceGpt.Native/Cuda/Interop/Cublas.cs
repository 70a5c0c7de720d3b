using System.Runtime.InteropServices;

namespace SliceGpt.Native.Cuda.Interop;

/// <summary>
/// Raw cuBLAS v2 entry points (cublas_api.h; the <c>_v2</c> symbols are what cublas_v2.h maps the plain names
/// to). Matrices are column-major device addresses; alpha and beta point to host scalars of the compute type.
/// <see cref="BlasHandle"/> validates shapes before calling these.
/// </summary>
internal static unsafe partial class Cublas
{
    private const string Lib = CudaLibraries.CublasName;

    [LibraryImport(Lib, EntryPoint = "cublasCreate_v2")]
    internal static partial CublasStatus Create(out nint handle);

    [LibraryImport(Lib, EntryPoint = "cublasDestroy_v2")]
    internal static partial CublasStatus Destroy(nint handle);

    [LibraryImport(Lib, EntryPoint = "cublasGetVersion_v2")]
    internal static partial CublasStatus GetVersion(nint handle, out int version);

    [LibraryImport(Lib, EntryPoint = "cublasSetStream_v2")]
    internal static partial CublasStatus SetStream(nint handle, nint stream);

    [LibraryImport(Lib, EntryPoint = "cublasSetMathMode")]
    internal static partial CublasStatus SetMathMode(nint handle, CublasMath mode);

    [LibraryImport(Lib, EntryPoint = "cublasGemmEx")]
    internal static partial CublasStatus GemmEx(nint handle, CublasOperation transA, CublasOperation transB,
        int m, int n, int k, void* alpha, ulong a, CudaDataType aType, int lda, ulong b, CudaDataType bType, int ldb,
        void* beta, ulong c, CudaDataType cType, int ldc, CublasComputeType computeType, CublasGemmAlgorithm algorithm);

    [LibraryImport(Lib, EntryPoint = "cublasGemmStridedBatchedEx")]
    internal static partial CublasStatus GemmStridedBatchedEx(nint handle, CublasOperation transA, CublasOperation transB,
        int m, int n, int k, void* alpha, ulong a, CudaDataType aType, int lda, long strideA,
        ulong b, CudaDataType bType, int ldb, long strideB, void* beta, ulong c, CudaDataType cType, int ldc, long strideC,
        int batchCount, CublasComputeType computeType, CublasGemmAlgorithm algorithm);

    [LibraryImport(Lib, EntryPoint = "cublasDgemm_v2")]
    internal static partial CublasStatus Dgemm(nint handle, CublasOperation transA, CublasOperation transB,
        int m, int n, int k, double* alpha, ulong a, int lda, ulong b, int ldb, double* beta, ulong c, int ldc);

    [LibraryImport(Lib, EntryPoint = "cublasDsyrk_v2")]
    internal static partial CublasStatus Dsyrk(nint handle, CublasFillMode uplo, CublasOperation trans,
        int n, int k, double* alpha, ulong a, int lda, double* beta, ulong c, int ldc);
}

/// <summary>cublasOperation_t.</summary>
internal enum CublasOperation
{
    None = 0,
    Transpose = 1,
}

/// <summary>cublasFillMode_t (also used by cuSOLVER).</summary>
internal enum CublasFillMode
{
    Lower = 0,
    Upper = 1,
}

/// <summary>cublasMath_t.</summary>
internal enum CublasMath
{
    Default = 0,
    Pedantic = 2,
    Tf32TensorOp = 3,
}

/// <summary>cublasComputeType_t.</summary>
internal enum CublasComputeType
{
    Compute16F = 64,
    Compute32F = 68,
    Compute32FPedantic = 69,
    Compute64F = 70,
    Compute32FFastTf32 = 77,
}

/// <summary>cublasGemmAlgo_t: only the default heuristic is used.</summary>
internal enum CublasGemmAlgorithm
{
    Default = -1,
}

/// <summary>cudaDataType_t (library_types.h), shared by cuBLAS and cuSPARSELt.</summary>
internal enum CudaDataType
{
    Real32F = 0,
    Real64F = 1,
    Real16F = 2,
    Real16BF = 14,
}
