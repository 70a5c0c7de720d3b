using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>A loaded kernel image (cuModuleLoadData); its functions are valid while it is alive.</summary>
public sealed unsafe class CudaModule : CudaResource
{
    private nint _handle;

    /// <summary>Loads <paramref name="image"/> (CUBIN, or PTX the driver compiles now) into <paramref name="context"/>.</summary>
    public CudaModule(CudaContext context, KernelImage image) : base(context)
    {
        Target = image.Target;
        try
        {
            using var scope = context.Bind();
            fixed (byte* p = image.Image)
                CuCheck.ThrowIfFailed(CuDriver.ModuleLoadData(out _handle, p));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The architecture the image was built for ("sm_90" or "compute_90").</summary>
    public string Target { get; }

    /// <summary>Looks up an <c>extern "C"</c> kernel by name.</summary>
    /// <exception cref="CudaException">The module has no such entry point (CUDA_ERROR_NOT_FOUND).</exception>
    public CudaFunction GetFunction(string entryName)
    {
        ThrowIfDisposed();
        using var scope = Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.ModuleGetFunction(out nint function, _handle, entryName));
        return new CudaFunction(this, function, entryName);
    }

    /// <inheritdoc/>
    protected override void ReleaseNative()
    {
        if (_handle == 0)
            return;
        var handle = _handle;
        _handle = 0;
        CuCheck.ThrowIfFailed(CuDriver.ModuleUnload(handle));
    }
}

/// <summary>A kernel entry point of a <see cref="CudaModule"/>, usable while the module is alive.</summary>
public sealed class CudaFunction
{
    internal CudaFunction(CudaModule module, nint handle, string entryName)
    {
        Module = module;
        Handle = handle;
        EntryName = entryName;
    }

    /// <summary>The module that holds the code.</summary>
    public CudaModule Module { get; }

    /// <summary>The kernel's name, e.g. "rmsnorm_f16".</summary>
    public string EntryName { get; }

    internal nint Handle { get; }

    /// <summary>Allows launches with more than 48 KiB of dynamic shared memory, up to the device's opt-in limit.</summary>
    public void SetMaxDynamicSharedMemory(int bytes)
    {
        ObjectDisposedException.ThrowIf(Module.IsDisposed, Module);
        var limit = Module.Context.Device.MaxSharedMemoryPerBlockOptin;
        if (bytes < 0 || bytes > limit)
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, $"{EntryName}: the device allows at most {limit} bytes of shared memory per block");
        using var scope = Module.Context.Bind();
        CuCheck.ThrowIfFailed(CuDriver.FuncSetAttribute(Handle, CuFunctionAttribute.MaxDynamicSharedSizeBytes, bytes));
    }

    /// <inheritdoc/>
    public override string ToString() => $"{EntryName} ({Module.Target})";
}
