using System.Runtime.InteropServices;

namespace SliceGpt.Native.Cpu;

/// <summary>Raw CBLAS entry points of OpenBLAS. Callers go through <see cref="CpuBlas"/>, which validates shapes.</summary>
internal static unsafe partial class OpenBlas
{
    internal const int RowMajor = 101;
    internal const int NoTrans = 111;
    internal const int Trans = 112;
    internal const int Upper = 121;
    internal const int Lower = 122;

    [LibraryImport(CpuMathLibraries.OpenBlasName, EntryPoint = "cblas_sgemm")]
    internal static partial void Sgemm(int layout, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(CpuMathLibraries.OpenBlasName, EntryPoint = "cblas_dgemm")]
    internal static partial void Dgemm(int layout, int transA, int transB, int m, int n, int k,
        double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc);

    [LibraryImport(CpuMathLibraries.OpenBlasName, EntryPoint = "cblas_dsyrk")]
    internal static partial void Dsyrk(int layout, int uplo, int trans, int n, int k,
        double alpha, double* a, int lda, double beta, double* c, int ldc);

    [LibraryImport(CpuMathLibraries.OpenBlasName, EntryPoint = "openblas_set_num_threads")]
    internal static partial void SetNumThreads(int threads);

    [LibraryImport(CpuMathLibraries.OpenBlasName, EntryPoint = "openblas_get_num_threads")]
    internal static partial int GetNumThreads();
}
