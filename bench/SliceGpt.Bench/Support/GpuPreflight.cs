using SliceGpt.Bench.Gpu;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Cuda;

namespace SliceGpt.Bench.Support;

/// <summary>
/// Starts the GPU before BenchmarkDotNet does, so a machine without one fails in a second with one clear line instead of
/// a failed setup per case; reports the device and whether the optional cuSPARSELt (the 2:4 cases) is there. The
/// end-to-end suites also need the engine's CUDA backend (cuBLAS and NVRTC for its kernels), checked when they are selected.
/// </summary>
internal static class GpuPreflight
{
    /// <summary>True when the GPU suites can run; otherwise writes why to <paramref name="output"/>, in one line.</summary>
    /// <param name="output">Where the lines go.</param>
    /// <param name="endToEnd">An end-to-end or slicing-time suite is selected: check the CUDA backend too.</param>
    public static bool Run(TextWriter output, bool endToEnd = false)
    {
        GpuSession gpu;
        try
        {
            gpu = GpuSession.Get();
        }
        catch (GpuUnavailableException e)
        {
            output.WriteLine($"SliceGpt.Bench: the GPU suites cannot run: {e.Message}");
            return false;
        }
        if (endToEnd && !CudaBackend.IsAvailable(out var reason))
        {
            output.WriteLine($"SliceGpt.Bench: the GPU suites cannot run: the CUDA backend is not usable: {reason}");
            return false;
        }
        output.WriteLine($"SliceGpt.Bench: GPU {gpu.Device}, L2 {gpu.Device.L2CacheBytes >> 20} MiB, cuBLAS {gpu.Blas.Version}; " +
                         $"{DevicePeaks.Describe(gpu.Device)}; {DeviceBandwidth.Describe(gpu.Device)}");
        try
        {
            CudaLibraries.EnsureLoaded(CudaLibrary.CusparseLt);
            output.WriteLine($"SliceGpt.Bench: cuSPARSELt from {CudaLibraries.LoadedFrom(CudaLibrary.CusparseLt)}");
        }
        catch (CudaUnavailableException e)
        {
            output.WriteLine($"SliceGpt.Bench: warning: the SparseGPT 2:4 cases will fail and show NA: {e.Message}");
        }
        if (gpu.Device.ComputeCapabilityMajor < 8)
            output.WriteLine($"SliceGpt.Bench: warning: 2:4 sparse tensor cores need sm_80 or newer, this is sm_{gpu.Device.Architecture}");
        return true;
    }
}
