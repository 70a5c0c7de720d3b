using System.Runtime.InteropServices;

namespace SliceGpt.Native.Cuda.Interop;

/// <summary>Raw cuSOLVER dense entry points (cusolverDn.h). <see cref="SolverHandle"/> checks shapes and devInfo.</summary>
internal static unsafe partial class Cusolver
{
    private const string Lib = CudaLibraries.CusolverName;

    [LibraryImport(Lib, EntryPoint = "cusolverDnCreate")]
    internal static partial CusolverStatus Create(out nint handle);

    [LibraryImport(Lib, EntryPoint = "cusolverDnDestroy")]
    internal static partial CusolverStatus Destroy(nint handle);

    [LibraryImport(Lib, EntryPoint = "cusolverDnSetStream")]
    internal static partial CusolverStatus SetStream(nint handle, nint stream);

    [LibraryImport(Lib, EntryPoint = "cusolverDnDsyevd_bufferSize")]
    internal static partial CusolverStatus DsyevdBufferSize(nint handle, CusolverEigMode jobz, CublasFillMode uplo,
        int n, ulong a, int lda, ulong w, out int workElements);

    [LibraryImport(Lib, EntryPoint = "cusolverDnDsyevd")]
    internal static partial CusolverStatus Dsyevd(nint handle, CusolverEigMode jobz, CublasFillMode uplo,
        int n, ulong a, int lda, ulong w, ulong work, int workElements, ulong info);
}

/// <summary>cusolverEigMode_t.</summary>
internal enum CusolverEigMode
{
    NoVectors = 0,
    Vectors = 1,
}
