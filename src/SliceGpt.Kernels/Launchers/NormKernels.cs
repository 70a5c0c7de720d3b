using SliceGpt.Kernels.Args;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels;

/// <summary>Launches norm.cu: RMSNorm and LayerNorm over rows of row-major activations, one block per row.</summary>
public sealed class NormKernels
{
    private const string File = "norm.cu";
    private readonly KernelEntry _rmsNorm;
    private readonly KernelEntry _layerNorm;

    internal NormKernels(CudaKernels kernels)
    {
        _rmsNorm = new KernelEntry(kernels, File, "rmsnorm");
        _layerNorm = new KernelEntry(kernels, File, "layernorm");
    }

    /// <summary>The source file and entry points.</summary>
    public static KernelFamily Family { get; } = KernelFamily.Of(File, "rmsnorm", "layernorm");

    /// <summary>
    /// y = x / sqrt(Σx²/meanDim + eps) · weight per row of x [rows, width] (as CpuOps.RmsNorm). meanDim ≥ width:
    /// a sliced model divides by its original hidden size. <paramref name="weight"/> may be null (fused
    /// norms); <paramref name="y"/> may be <paramref name="x"/>.
    /// </summary>
    public void RmsNorm<T>(CudaStream stream, DeviceMemory<T> x, DeviceMemory<T> y, DeviceMemory<T> weight,
        int rows, int width, float eps, int meanDim) where T : unmanaged
    {
        CheckRows(x, y, weight, rows, width, "rmsnorm");
        if (meanDim < width)
            throw new ArgumentOutOfRangeException(nameof(meanDim), meanDim, $"rmsnorm: meanDim must be at least the width {width}");
        if (rows == 0)
            return;
        var args = new RmsNormArgs
        {
            X = x.Address, Y = y.Address, Weight = weight.Address, Rows = rows, Width = width, MeanDim = meanDim, Eps = eps,
        };
        KernelLauncher.Launch(_rmsNorm.For<T>(), LaunchGeometry.Linear(rows, KernelGeometry.RowThreads(width)), stream, args);
    }

    /// <summary>
    /// y = (x − mean)/sqrt(var + eps) · weight + bias per row, biased variance (as CpuOps.LayerNorm). Weight
    /// and bias may be null; <paramref name="y"/> may be <paramref name="x"/>.
    /// </summary>
    public void LayerNorm<T>(CudaStream stream, DeviceMemory<T> x, DeviceMemory<T> y, DeviceMemory<T> weight,
        DeviceMemory<T> bias, int rows, int width, float eps) where T : unmanaged
    {
        CheckRows(x, y, weight, rows, width, "layernorm");
        if (!bias.IsNull)
            bias.EnsureLength(width, "layernorm: bias [width]");
        if (rows == 0)
            return;
        var args = new LayerNormArgs
        {
            X = x.Address, Y = y.Address, Weight = weight.Address, Bias = bias.Address, Rows = rows, Width = width, Eps = eps,
        };
        KernelLauncher.Launch(_layerNorm.For<T>(), LaunchGeometry.Linear(rows, KernelGeometry.RowThreads(width)), stream, args);
    }

    private static void CheckRows<T>(DeviceMemory<T> x, DeviceMemory<T> y, DeviceMemory<T> weight, int rows, int width,
        string kernel) where T : unmanaged
    {
        KernelGeometry.NonNegative(rows, nameof(rows), kernel);
        KernelGeometry.Positive(width, nameof(width), kernel);
        if (rows == 0)
            return;
        x.EnsureLength((long)rows * width, $"{kernel}: x [rows, width]");
        y.EnsureLength((long)rows * width, $"{kernel}: y [rows, width]");
        if (!weight.IsNull)
            weight.EnsureLength(width, $"{kernel}: weight [width]");
    }
}
