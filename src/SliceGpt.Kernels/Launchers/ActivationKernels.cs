using SliceGpt.Kernels.Args;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels;

/// <summary>Launches activation.cu: the MLP nonlinearities.</summary>
public sealed class ActivationKernels
{
    private const string File = "activation.cu";
    private readonly CudaKernels _kernels;
    private readonly KernelEntry _siluMul;
    private readonly KernelEntry _geluNew;
    private readonly KernelEntry _relu;

    internal ActivationKernels(CudaKernels kernels)
    {
        _kernels = kernels;
        _siluMul = new KernelEntry(kernels, File, "silu_mul");
        _geluNew = new KernelEntry(kernels, File, "gelu_new");
        _relu = new KernelEntry(kernels, File, "relu");
    }

    /// <summary>The source file and entry points.</summary>
    public static KernelFamily Family { get; } = KernelFamily.Of(File, "silu_mul", "gelu_new", "relu");

    /// <summary>output[r, j] = silu(gateUp[r, j]) · gateUp[r, hidden + j] (as CpuOps.SiluMul).</summary>
    public void SiluMul<T>(CudaStream stream, DeviceMemory<T> gateUp, DeviceMemory<T> output, int rows, int hidden)
        where T : unmanaged
    {
        KernelGeometry.NonNegative(rows, nameof(rows), "silu_mul");
        KernelGeometry.Positive(hidden, nameof(hidden), "silu_mul");
        if (rows == 0)
            return;
        gateUp.EnsureLength(2L * rows * hidden, "silu_mul: gateUp [rows, 2·hidden]");
        output.EnsureLength((long)rows * hidden, "silu_mul: output [rows, hidden]");
        var args = new SiluMulArgs { GateUp = gateUp.Address, Output = output.Address, Rows = rows, Hidden = hidden };
        KernelLauncher.Launch(_siluMul.For<T>(), KernelGeometry.Elementwise((long)rows * hidden, _kernels.Context.Device), stream, args);
    }

    /// <summary>x = gelu_new(x) (tanh approximation) on the first <paramref name="count"/> elements, in place.</summary>
    public void GeluNew<T>(CudaStream stream, DeviceMemory<T> x, long count) where T : unmanaged =>
        InPlace(_geluNew, "gelu_new", stream, x, count);

    /// <summary>x = max(x, 0) on the first <paramref name="count"/> elements, in place.</summary>
    public void Relu<T>(CudaStream stream, DeviceMemory<T> x, long count) where T : unmanaged =>
        InPlace(_relu, "relu", stream, x, count);

    private void InPlace<T>(KernelEntry entry, string kernel, CudaStream stream, DeviceMemory<T> x, long count)
        where T : unmanaged
    {
        KernelGeometry.NonNegative(count, nameof(count), kernel);
        if (count == 0)
            return;
        x.EnsureLength(count, $"{kernel}: x [count]");
        var args = new ActivationArgs { X = x.Address, Count = count };
        KernelLauncher.Launch(entry.For<T>(), KernelGeometry.Elementwise(count, _kernels.Context.Device), stream, args);
    }
}
