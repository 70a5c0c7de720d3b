using System.Runtime.InteropServices;

namespace SliceGpt.Native.Cpu;

/// <summary>Raw LAPACKE entry points. Callers go through <see cref="CpuLapack"/>.</summary>
internal static unsafe partial class Lapacke
{
    internal const int RowMajor = 101;

    [LibraryImport(CpuMathLibraries.LapackeName, EntryPoint = "LAPACKE_dsyevd")]
    internal static partial int Dsyevd(int layout, byte jobz, byte uplo, int n, double* a, int lda, double* w);

    [LibraryImport(CpuMathLibraries.LapackeName, EntryPoint = "LAPACKE_dgeqrf")]
    internal static partial int Dgeqrf(int layout, int m, int n, double* a, int lda, double* tau);

    [LibraryImport(CpuMathLibraries.LapackeName, EntryPoint = "LAPACKE_dorgqr")]
    internal static partial int Dorgqr(int layout, int m, int n, int k, double* a, int lda, double* tau);
}
