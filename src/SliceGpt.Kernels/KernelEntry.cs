using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels;

/// <summary>
/// One kernel family member (e.g. rmsnorm) in its three storage types, resolved to functions on first use
/// and remembered, so a steady-state launch does no lookup beyond an array index.
/// </summary>
internal sealed class KernelEntry
{
    private readonly CudaKernels _kernels;
    private readonly string _file;
    private readonly CudaFunction?[] _functions = new CudaFunction?[3];

    internal KernelEntry(CudaKernels kernels, string file, string baseName)
    {
        _kernels = kernels;
        _file = file;
        BaseName = baseName;
    }

    internal string BaseName { get; }

    /// <summary>The entry points this member stands for: base_f32, base_f16, base_bf16.</summary>
    internal static IEnumerable<string> Names(string baseName) => KernelTypes.StorageSuffixes.Select(s => $"{baseName}_{s}");

    internal CudaFunction For<T>() where T : unmanaged
    {
        int index = KernelTypes.StorageIndex<T>();
        return _functions[index] ??= _kernels.Modules.GetFunction(KernelSources.Get(_file), $"{BaseName}_{KernelTypes.StorageSuffixes[index]}");
    }
}

/// <summary>Launch shapes shared by the launchers.</summary>
internal static class KernelGeometry
{
    /// <summary>Threads for a one-block-per-row kernel: a multiple of 32 near width/4, between 32 and 1024.</summary>
    internal static int RowThreads(int width) => Math.Clamp((width / 4 + 31) / 32 * 32, 32, 1024);

    /// <summary>A grid-stride launch for <paramref name="count"/> elements: 256 threads, at most 16 blocks per SM.</summary>
    internal static LaunchGeometry Elementwise(long count, CudaDeviceInfo device)
    {
        const int threads = 256;
        long blocks = Math.Min((count + threads - 1) / threads, 16L * Math.Max(1, device.MultiprocessorCount));
        return LaunchGeometry.Linear((int)blocks, threads);
    }

    internal static void Positive(int value, string name, string kernel)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{kernel}: {name} must be positive");
    }

    internal static void NonNegative(long value, string name, string kernel)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{kernel}: {name} must not be negative");
    }
}
