using SliceGpt.Native.Cuda;

namespace SliceGpt.Bench.Support;

/// <summary>
/// Datasheet peak rates of dense fp16 tensor-core math with fp32 accumulation (no 2:4 sparsity), to put measured TFLOP/s
/// in proportion. Matched on the device name and checked against its compute capability; anything else is unknown
/// (no guessing from a family name: an H100 NVL, H200 NVL or GH200 has other clocks or power limits).
/// </summary>
internal static class DevicePeaks
{
    private sealed record Peak(string NameContains, string[] NameExcludes, int Major, int Minor, double Tflops, string Source);

    // Sources (NVIDIA datasheets; the sparse figures there are twice these):
    // H100 SXM5 and H200 SXM: "FP16 Tensor Core 1,979 teraFLOPS with sparsity" -> 989.4 dense
    //   (nvidia.com/en-us/data-center/h100, nvidia.com/en-us/data-center/h200). cuDeviceGetName: "NVIDIA H100 80GB HBM3", "NVIDIA H200".
    // H100 PCIe: "1,513 teraFLOPS with sparsity" -> 756 dense (same H100 datasheet).
    // A100 (SXM4 and PCIe, 40/80 GB): "FP16 Tensor Core 312 TFLOPS | 624 TFLOPS with sparsity" (nvidia.com/en-us/data-center/a100).
    // L40S: "FP16 Tensor Core 362.05 | 733 TFLOPS with sparsity" (nvidia.com/en-us/data-center/l40s).
    private static readonly Peak[] Table =
    [
        new("H100 PCIe", [], 9, 0, 756.0, "NVIDIA H100 datasheet (PCIe)"),
        new("H100 80GB HBM3", [], 9, 0, 989.4, "NVIDIA H100 datasheet (SXM5)"),
        new("H100 SXM", [], 9, 0, 989.4, "NVIDIA H100 datasheet (SXM5)"),
        new("H200", ["NVL", "GH200"], 9, 0, 989.4, "NVIDIA H200 datasheet (SXM)"),
        new("A100", [], 8, 0, 312.0, "NVIDIA A100 datasheet"),
        new("L40S", [], 8, 9, 362.0, "NVIDIA L40S datasheet"),
    ];

    /// <summary>The dense fp16 tensor-core peak of <paramref name="device"/> in TFLOP/s, or null when it is not in the table.</summary>
    public static double? DenseFp16Tflops(CudaDeviceInfo device) => Find(device)?.Tflops;

    /// <summary>Where the peak of <paramref name="device"/> comes from, or why there is none.</summary>
    public static string Describe(CudaDeviceInfo device) => Find(device) is { } p
        ? $"{p.Tflops:F1} TFLOP/s dense fp16 ({p.Source})"
        : $"no datasheet peak on file for \"{device.Name}\" (sm_{device.Architecture}): % of peak is NA";

    /// <summary>The table lookup on a bare name and compute capability (for tests and reports).</summary>
    public static double? DenseFp16Tflops(string name, int major, int minor) =>
        Table.FirstOrDefault(p => Matches(p, name, major, minor))?.Tflops;

    private static Peak? Find(CudaDeviceInfo d) =>
        Table.FirstOrDefault(p => Matches(p, d.Name, d.ComputeCapabilityMajor, d.ComputeCapabilityMinor));

    private static bool Matches(Peak p, string name, int major, int minor) =>
        name.Contains(p.NameContains, StringComparison.OrdinalIgnoreCase)
        && !p.NameExcludes.Any(x => name.Contains(x, StringComparison.OrdinalIgnoreCase))
        && major == p.Major && minor == p.Minor;
}
