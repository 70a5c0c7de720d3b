using SliceGpt.Native.Cuda;

namespace SliceGpt.Bench.Support;

/// <summary>
/// Datasheet peak device-memory (HBM) bandwidths, the ceiling of batch-1 decoding, which must stream every weight once
/// per token. Matched on the device name and checked against its compute capability, as <see cref="DevicePeaks"/> does;
/// anything else is unknown and its roofline share shows NA. Datasheet figures are what the memory can do in principle:
/// a large device-to-device copy typically reaches 85-92% of them.
/// </summary>
internal static class DeviceBandwidth
{
    private sealed record Entry(string[] NameContainsAll, string[] NameExcludes, int Major, int Minor, double TerabytesPerSecond, string Source);

    // Sources (NVIDIA datasheets, "GPU memory bandwidth"):
    // H100 SXM5 80 GB: 3.35 TB/s; H100 PCIe 80 GB: 2.0 TB/s (nvidia.com/en-us/data-center/h100). cuDeviceGetName:
    //   "NVIDIA H100 80GB HBM3" (SXM), "NVIDIA H100 PCIe". The H100 NVL (3.9 TB/s) is left out: its name says NVL.
    // H200 (SXM and NVL): 4.8 TB/s (nvidia.com/en-us/data-center/h200); name "NVIDIA H200". GH200 has other memory: excluded.
    // A100 80GB: SXM4 2,039 GB/s, PCIe 1,935 GB/s (nvidia.com/en-us/data-center/a100); names "NVIDIA A100-SXM4-80GB",
    //   "NVIDIA A100 80GB PCIe". The 40 GB parts (1,555 GB/s) are left out.
    private static readonly Entry[] Table =
    [
        new(["H100", "PCIe"], ["NVL"], 9, 0, 2.0, "NVIDIA H100 datasheet (PCIe)"),
        new(["H100 80GB HBM3"], ["NVL"], 9, 0, 3.35, "NVIDIA H100 datasheet (SXM5)"),
        new(["H100 SXM"], ["NVL"], 9, 0, 3.35, "NVIDIA H100 datasheet (SXM5)"),
        new(["H200"], ["GH200"], 9, 0, 4.8, "NVIDIA H200 datasheet"),
        new(["A100", "SXM4", "80GB"], [], 8, 0, 2.039, "NVIDIA A100 datasheet (SXM4 80GB)"),
        new(["A100", "80GB", "PCIe"], [], 8, 0, 1.935, "NVIDIA A100 datasheet (PCIe 80GB)"),
    ];

    /// <summary>The datasheet peak of <paramref name="device"/> in bytes per second, or null when it is not in the table.</summary>
    public static double? PeakBytesPerSecond(CudaDeviceInfo device) =>
        PeakBytesPerSecond(device.Name, device.ComputeCapabilityMajor, device.ComputeCapabilityMinor);

    /// <summary>The table lookup on a bare name and compute capability, in bytes per second (for tests and reports).</summary>
    public static double? PeakBytesPerSecond(string name, int major, int minor) =>
        Find(name, major, minor) is { } e ? e.TerabytesPerSecond * 1e12 : null;

    /// <summary>Where the peak of <paramref name="device"/> comes from, or why there is none.</summary>
    public static string Describe(CudaDeviceInfo device) =>
        Find(device.Name, device.ComputeCapabilityMajor, device.ComputeCapabilityMinor) is { } e
            ? $"{e.TerabytesPerSecond:0.###} TB/s memory bandwidth ({e.Source})"
            : $"no datasheet memory bandwidth on file for \"{device.Name}\" (sm_{device.Architecture}): the roofline share is NA";

    private static Entry? Find(string name, int major, int minor) => Table.FirstOrDefault(e =>
        e.NameContainsAll.All(part => name.Contains(part, StringComparison.OrdinalIgnoreCase))
        && !e.NameExcludes.Any(x => name.Contains(x, StringComparison.OrdinalIgnoreCase))
        && major == e.Major && minor == e.Minor);
}
