namespace SliceGpt.Native.Cuda;

/// <summary>A CUDA library could not be loaded; the message lists every file name and path tried.</summary>
public sealed class CudaUnavailableException : Exception
{
    /// <summary>The library that failed to load.</summary>
    public CudaLibrary Library { get; }

    /// <summary>Every "path: reason" that was attempted, in order.</summary>
    public IReadOnlyList<string> Tried { get; }

    /// <summary>Creates the exception for <paramref name="library"/>.</summary>
    public CudaUnavailableException(CudaLibrary library, IReadOnlyList<string> tried)
        : base($"could not load {Describe(library)}; {Remedy(library)}. Tried: {string.Join("; ", tried)}")
    {
        Library = library;
        Tried = tried;
    }

    /// <summary>
    /// Creates the exception for a library that loaded but cannot serve (for example a driver that reports no GPU):
    /// <paramref name="reason"/> says what failed, <paramref name="tried"/> what was attempted.
    /// </summary>
    public CudaUnavailableException(CudaLibrary library, string reason, IReadOnlyList<string> tried)
        : base($"{reason}; {Remedy(library)}. Tried: {string.Join("; ", tried)}")
    {
        Library = library;
        Tried = tried;
    }

    private static string Describe(CudaLibrary library) => library switch
    {
        CudaLibrary.Driver => "the CUDA driver (libcuda.so.1)",
        CudaLibrary.Nvrtc => "NVRTC (libnvrtc)",
        CudaLibrary.Cublas => "cuBLAS (libcublas with libcublasLt)",
        CudaLibrary.Cusolver => "cuSOLVER (libcusolver)",
        CudaLibrary.CusparseLt => "cuSPARSELt (libcusparseLt.so.0)",
        _ => library.ToString(),
    };

    private static string Remedy(CudaLibrary library) => library switch
    {
        CudaLibrary.Driver => "this needs an NVIDIA GPU with its driver installed",
        CudaLibrary.CusparseLt => "install cuSPARSELt (pip install nvidia-cusparselt-cu12, or NVIDIA's package) or set CUDA_HOME",
        _ => "install the CUDA toolkit 12 or 13 (or NVIDIA's pip wheels, e.g. nvidia-cublas, nvidia-cuda-nvrtc, " +
             "nvidia-cusolver) and set CUDA_HOME if it is not under /usr/local/cuda",
    };
}
