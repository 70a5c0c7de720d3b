using SliceGpt.Kernels.Args;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels;

/// <summary>Launches elementwise.cu: broadcast bias add and residual add.</summary>
public sealed class ElementwiseKernels
{
    private const string File = "elementwise.cu";
    private readonly CudaKernels _kernels;
    private readonly KernelEntry _biasAdd;
    private readonly KernelEntry _residualAdd;

    internal ElementwiseKernels(CudaKernels kernels)
    {
        _kernels = kernels;
        _biasAdd = new KernelEntry(kernels, File, "bias_add");
        _residualAdd = new KernelEntry(kernels, File, "residual_add");
    }

    /// <summary>The source file and entry points.</summary>
    public static KernelFamily Family { get; } = KernelFamily.Of(File, "bias_add", "residual_add");

    /// <summary>y[r, :] += bias for every row of y [rows, width] (as CpuOps.AddBias).</summary>
    public void AddBias<T>(CudaStream stream, DeviceMemory<T> y, DeviceMemory<T> bias, int rows, int width) where T : unmanaged
    {
        KernelGeometry.NonNegative(rows, nameof(rows), "bias_add");
        KernelGeometry.Positive(width, nameof(width), "bias_add");
        if (rows == 0)
            return;
        y.EnsureLength((long)rows * width, "bias_add: y [rows, width]");
        bias.EnsureLength(width, "bias_add: bias [width]");
        var args = new BiasAddArgs { Y = y.Address, Bias = bias.Address, Rows = rows, Width = width };
        KernelLauncher.Launch(_biasAdd.For<T>(), KernelGeometry.Elementwise((long)rows * width, _kernels.Context.Device), stream, args);
    }

    /// <summary>y += x on the first <paramref name="count"/> elements.</summary>
    public void AddResidual<T>(CudaStream stream, DeviceMemory<T> y, DeviceMemory<T> x, long count) where T : unmanaged
    {
        KernelGeometry.NonNegative(count, nameof(count), "residual_add");
        if (count == 0)
            return;
        y.EnsureLength(count, "residual_add: y [count]");
        x.EnsureLength(count, "residual_add: x [count]");
        var args = new ResidualAddArgs { Y = y.Address, X = x.Address, Count = count };
        KernelLauncher.Launch(_residualAdd.For<T>(), KernelGeometry.Elementwise(count, _kernels.Context.Device), stream, args);
    }
}
