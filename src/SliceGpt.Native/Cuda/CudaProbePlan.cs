namespace SliceGpt.Native.Cuda;

/// <summary>One file to try, with the files it needs loaded first (for example libcublasLt before libcublas).</summary>
/// <param name="FileName">A soname such as libcublas.so.13.</param>
/// <param name="Prerequisites">
/// File names (a '*' pattern is allowed) opened best-effort before <paramref name="FileName"/>, from the same
/// folder first and then from every other location: NVIDIA's CUDA 12 wheels keep each library in its own
/// folder, where the dynamic loader would not find the dependencies on its own.
/// </param>
public sealed record CudaLibraryCandidate(string FileName, IReadOnlyList<string> Prerequisites);

/// <summary>
/// Where and under which names to look for one CUDA library. <see cref="Default"/> gives the engine's plan;
/// tests build their own to force a failure on any machine.
/// </summary>
public sealed class CudaProbePlan
{
    /// <summary>The location entry that stands for the dynamic loader's own search path (bare file names).</summary>
    public const string LoaderPath = "(loader path)";

    /// <summary>The library this plan loads.</summary>
    public CudaLibrary Library { get; }

    /// <summary>Candidate files, most preferred first (newest CUDA major first, the bare name last).</summary>
    public IReadOnlyList<CudaLibraryCandidate> Candidates { get; }

    /// <summary>Folders, or <see cref="LoaderPath"/>, in search order; every candidate is tried in a location before the next.</summary>
    public IReadOnlyList<string> Locations { get; }

    /// <summary>Creates a plan.</summary>
    public CudaProbePlan(CudaLibrary library, IEnumerable<CudaLibraryCandidate> candidates, IEnumerable<string> locations)
    {
        Library = library;
        Candidates = candidates.ToList();
        Locations = locations.ToList();
    }

    /// <summary>A plan of plain file names without prerequisites.</summary>
    public static CudaProbePlan ForFiles(CudaLibrary library, IEnumerable<string> fileNames, IEnumerable<string> locations) =>
        new(library, fileNames.Select(f => new CudaLibraryCandidate(f, [])), locations);

    /// <summary>
    /// The engine's plan: CUDA 13 sonames, then 12, then the bare name, in $CUDA_HOME/lib64, $CUDA_PATH/lib64,
    /// /usr/local/cuda/lib64, the loader path and NVIDIA's pip wheels, in that order. The driver is looked up
    /// on the loader path first, where the GPU driver installs it.
    /// </summary>
    public static CudaProbePlan Default(CudaLibrary library)
    {
        var toolkit = CudaLibraryFolders.ToolkitFolders.Append(LoaderPath).Concat(CudaLibraryFolders.WheelFolders);
        return library switch
        {
            CudaLibrary.Driver => new(library, Files("libcuda.so.1", "libcuda.so"),
                CudaLibraryFolders.DriverFolders.Prepend(LoaderPath)),
            CudaLibrary.Nvrtc => new(library,
            [
                // NVRTC opens its builtins library by name when it compiles; loading it first makes that work
                // when the toolkit folder is not on the loader path.
                new("libnvrtc.so.13", ["libnvrtc-builtins.so.13*"]),
                new("libnvrtc.so.12", ["libnvrtc-builtins.so.12*"]),
                new("libnvrtc.so", ["libnvrtc-builtins.so*"]),
            ], toolkit),
            CudaLibrary.Cublas => new(library,
            [
                new("libcublas.so.13", ["libcublasLt.so.13"]),
                new("libcublas.so.12", ["libcublasLt.so.12"]),
                new("libcublas.so", ["libcublasLt.so"]),
            ], toolkit),
            // cuSOLVER's soname lags the toolkit: .12 ships with CUDA 13, .11 with CUDA 12.
            CudaLibrary.Cusolver => new(library,
            [
                new("libcusolver.so.12", ["libnvJitLink.so.13", "libcusparse.so.12", "libcublasLt.so.13", "libcublas.so.13"]),
                new("libcusolver.so.11", ["libnvJitLink.so.12", "libcusparse.so.12", "libcublasLt.so.12", "libcublas.so.12"]),
                new("libcusolver.so", ["libnvJitLink.so", "libcusparse.so", "libcublasLt.so", "libcublas.so"]),
            ], toolkit),
            CudaLibrary.CusparseLt => new(library, Files("libcusparseLt.so.0", "libcusparseLt.so"), toolkit),
            _ => throw new ArgumentOutOfRangeException(nameof(library), library, null),
        };
    }

    private static IEnumerable<CudaLibraryCandidate> Files(params string[] names) =>
        names.Select(n => new CudaLibraryCandidate(n, []));
}
