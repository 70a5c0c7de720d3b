namespace SliceGpt.Native.Cuda;

/// <summary>What the engine needs to know about a GPU, read once when its context is created.</summary>
/// <param name="Ordinal">The device index (as CUDA_VISIBLE_DEVICES presents them).</param>
/// <param name="Name">The marketing name, e.g. "NVIDIA H100 80GB HBM3".</param>
/// <param name="ComputeCapabilityMajor">Compute capability, major part (9 for Hopper).</param>
/// <param name="ComputeCapabilityMinor">Compute capability, minor part.</param>
/// <param name="MultiprocessorCount">Streaming multiprocessors, for sizing grids.</param>
/// <param name="TotalMemoryBytes">Device memory.</param>
/// <param name="MaxThreadsPerBlock">Largest block.</param>
/// <param name="MaxSharedMemoryPerBlockOptin">Shared memory a block may opt into.</param>
/// <param name="DriverVersion">cuDriverGetVersion, e.g. 12040 for CUDA 12.4.</param>
/// <param name="L2CacheBytes">L2 cache size, for benchmarks that must evict it between repetitions.</param>
public sealed record CudaDeviceInfo(
    int Ordinal,
    string Name,
    int ComputeCapabilityMajor,
    int ComputeCapabilityMinor,
    int MultiprocessorCount,
    long TotalMemoryBytes,
    int MaxThreadsPerBlock,
    int MaxSharedMemoryPerBlockOptin,
    int DriverVersion,
    long L2CacheBytes)
{
    /// <summary>The compute capability as NVRTC's architecture number (90 for sm_90).</summary>
    public int Architecture => ComputeCapabilityMajor * 10 + ComputeCapabilityMinor;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name} (sm_{Architecture}, {MultiprocessorCount} SMs, {TotalMemoryBytes / (1L << 20)} MiB, driver {DriverVersion / 1000}.{DriverVersion % 1000 / 10})";
}
