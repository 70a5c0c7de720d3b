using System.CommandLine;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Inference.Cuda;

namespace SliceGpt.Cli.Commands;

/// <summary>Where a command computes: <c>--device auto|cpu|cuda</c> and, on a GPU, <c>--precision fp32|fp16|bf16</c>.</summary>
internal static class DeviceOptions
{
    public static Option<string> Device() => new Option<string>("--device")
    {
        Description = "cpu, cuda, or auto (cuda when an NVIDIA GPU is usable, else cpu); the output names the backend that ran",
        DefaultValueFactory = _ => "auto",
    }.AcceptOnlyFromAmong("auto", "cpu", "cuda");

    public static Option<string?> Precision() => new Option<string?>("--precision")
    {
        Description = "GPU storage precision of weights and activations: fp32, fp16 or bf16 (default: the checkpoint's dtype)",
    }.AcceptOnlyFromAmong("fp32", "fp16", "bf16");

    /// <summary>
    /// The backend the options choose; it prepares models in the chosen precision (the backend's default), so callers need
    /// not know the device. An explicit <c>cuda</c> without a usable GPU is an error, never a silent fallback.
    /// </summary>
    public static IComputeBackend Resolve(string device, string? precision, TensorDType checkpointDType)
    {
        var cudaPrecision = precision switch
        {
            null => checkpointDType switch
            {
                TensorDType.F16 => CudaPrecision.Float16,
                TensorDType.BF16 => CudaPrecision.BFloat16,
                _ => CudaPrecision.Float32,
            },
            "fp32" => CudaPrecision.Float32,
            "fp16" => CudaPrecision.Float16,
            "bf16" => CudaPrecision.BFloat16,
            _ => throw new CliUsageException($"--precision must be fp32, fp16 or bf16, got {precision}"),
        };
        switch (device)
        {
            case "cpu":
                if (precision is not null && cudaPrecision != CudaPrecision.Float32)
                    throw new CliUsageException($"--precision {precision} applies to --device cuda; the CPU backend computes in fp32");
                return new CpuBackend();
            case "cuda":
                return new CudaBackend(0, cudaPrecision);
            case "auto":
                return CudaBackend.IsAvailable(out _)
                    ? new CudaBackend(0, cudaPrecision)
                    : new CpuBackend();
            default:
                throw new CliUsageException($"--device must be auto, cpu or cuda, got {device}");
        }
    }
}
