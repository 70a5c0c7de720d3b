using SliceGpt.Bench.Gpu;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Bench.Support;

/// <summary>
/// Starts the GPU before BenchmarkDotNet does, so a machine without one fails in a second with one clear line instead of
/// a failed setup per case; reports the device and whether the optional cuSPARSELt (the 2:4 cases) is there.
/// </summary>
internal static class GpuPreflight
{
    /// <summary>True when the GPU suites can run; otherwise writes why to <paramref name="output"/>.</summary>
    public static bool Run(TextWriter output)
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
        output.WriteLine($"SliceGpt.Bench: GPU {gpu.Device}, L2 {gpu.Device.L2CacheBytes >> 20} MiB, cuBLAS {gpu.Blas.Version}; " +
                         $"{DevicePeaks.Describe(gpu.Device)}");
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
