using System.Runtime.CompilerServices;
using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// Launches a kernel whose only parameter is one struct (<c>__global__ void k(const Args a)</c>), passing
/// the C# twin of that struct as the packed parameter buffer (CU_LAUNCH_PARAM_BUFFER_POINTER with
/// CU_LAUNCH_PARAM_BUFFER_SIZE). The struct must be blittable with the same field order, sizes and padding
/// as the CUDA one (the ABI tests check this); the parameter buffer, the size and the five-entry `extra`
/// array all live on the stack, so a launch allocates no managed memory.
/// </summary>
public static unsafe class KernelLauncher
{
    /// <summary>Queues <paramref name="function"/> on <paramref name="stream"/> with <paramref name="args"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The geometry does not fit the device.</exception>
    /// <exception cref="CudaException">The driver rejected the launch.</exception>
    public static void Launch<TArgs>(CudaFunction function, LaunchGeometry geometry, CudaStream stream, in TArgs args)
        where TArgs : unmanaged
    {
        var module = function.Module;
        ObjectDisposedException.ThrowIf(module.IsDisposed, module);
        if (!ReferenceEquals(stream.Context, module.Context))
            throw new ArgumentException($"{function.EntryName}: the stream belongs to another context", nameof(stream));
        geometry.Validate(module.Context.Device, function.EntryName);
        if (geometry.IsEmpty)
            return;
        nuint size = (nuint)Unsafe.SizeOf<TArgs>();
        TArgs copy = args;
        void** extra = stackalloc void*[5];
        extra[0] = CuDriver.LaunchParamBufferPointer;
        extra[1] = &copy;
        extra[2] = CuDriver.LaunchParamBufferSize;
        extra[3] = &size;
        extra[4] = CuDriver.LaunchParamEnd;
        using var scope = module.Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.LaunchKernel(function.Handle,
            (uint)geometry.GridX, (uint)geometry.GridY, (uint)geometry.GridZ,
            (uint)geometry.BlockX, (uint)geometry.BlockY, (uint)geometry.BlockZ,
            (uint)geometry.SharedMemoryBytes, stream.Handle, null, extra));
    }
}
