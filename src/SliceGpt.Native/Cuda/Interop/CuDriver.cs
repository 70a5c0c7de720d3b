using System.Runtime.InteropServices;

namespace SliceGpt.Native.Cuda.Interop;

/// <summary>
/// Raw CUDA driver API entry points (cuda.h). Sizes are <c>nuint</c> (size_t), device addresses <c>ulong</c>
/// (CUdeviceptr), handles <c>nint</c>. Versioned symbols (<c>_v2</c>) are the ones cuda.h maps the plain
/// names to. Callers go through the owning types, which bind the context and check every result.
/// </summary>
internal static unsafe partial class CuDriver
{
    private const string Lib = CudaLibraries.DriverName;

    [LibraryImport(Lib, EntryPoint = "cuInit")]
    internal static partial CuResult Init(uint flags);

    [LibraryImport(Lib, EntryPoint = "cuDriverGetVersion")]
    internal static partial CuResult DriverGetVersion(out int version);

    [LibraryImport(Lib, EntryPoint = "cuDeviceGetCount")]
    internal static partial CuResult DeviceGetCount(out int count);

    [LibraryImport(Lib, EntryPoint = "cuDeviceGet")]
    internal static partial CuResult DeviceGet(out int device, int ordinal);

    [LibraryImport(Lib, EntryPoint = "cuDeviceGetName")]
    internal static partial CuResult DeviceGetName(byte* name, int length, int device);

    [LibraryImport(Lib, EntryPoint = "cuDeviceGetAttribute")]
    internal static partial CuResult DeviceGetAttribute(out int value, CuDeviceAttribute attribute, int device);

    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")]
    internal static partial CuResult DeviceTotalMem(out nuint bytes, int device);

    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRetain")]
    internal static partial CuResult DevicePrimaryCtxRetain(out nint context, int device);

    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    internal static partial CuResult DevicePrimaryCtxRelease(int device);

    [LibraryImport(Lib, EntryPoint = "cuCtxPushCurrent_v2")]
    internal static partial CuResult CtxPushCurrent(nint context);

    [LibraryImport(Lib, EntryPoint = "cuCtxPopCurrent_v2")]
    internal static partial CuResult CtxPopCurrent(out nint context);

    [LibraryImport(Lib, EntryPoint = "cuCtxSynchronize")]
    internal static partial CuResult CtxSynchronize();

    [LibraryImport(Lib, EntryPoint = "cuMemGetInfo_v2")]
    internal static partial CuResult MemGetInfo(out nuint free, out nuint total);

    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")]
    internal static partial CuResult MemAlloc(out ulong address, nuint bytes);

    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")]
    internal static partial CuResult MemFree(ulong address);

    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoD_v2")]
    internal static partial CuResult MemcpyHtoD(ulong destination, void* source, nuint bytes);

    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoH_v2")]
    internal static partial CuResult MemcpyDtoH(void* destination, ulong source, nuint bytes);

    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoD_v2")]
    internal static partial CuResult MemcpyDtoD(ulong destination, ulong source, nuint bytes);

    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")]
    internal static partial CuResult MemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);

    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")]
    internal static partial CuResult MemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoDAsync_v2")]
    internal static partial CuResult MemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(Lib, EntryPoint = "cuMemsetD8_v2")]
    internal static partial CuResult MemsetD8(ulong destination, byte value, nuint count);

    [LibraryImport(Lib, EntryPoint = "cuMemsetD32_v2")]
    internal static partial CuResult MemsetD32(ulong destination, uint value, nuint count);

    [LibraryImport(Lib, EntryPoint = "cuMemsetD8Async")]
    internal static partial CuResult MemsetD8Async(ulong destination, byte value, nuint count, nint stream);

    [LibraryImport(Lib, EntryPoint = "cuMemsetD32Async")]
    internal static partial CuResult MemsetD32Async(ulong destination, uint value, nuint count, nint stream);

    [LibraryImport(Lib, EntryPoint = "cuStreamCreate")]
    internal static partial CuResult StreamCreate(out nint stream, uint flags);

    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")]
    internal static partial CuResult StreamDestroy(nint stream);

    [LibraryImport(Lib, EntryPoint = "cuStreamSynchronize")]
    internal static partial CuResult StreamSynchronize(nint stream);

    [LibraryImport(Lib, EntryPoint = "cuEventCreate")]
    internal static partial CuResult EventCreate(out nint @event, uint flags);

    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")]
    internal static partial CuResult EventDestroy(nint @event);

    [LibraryImport(Lib, EntryPoint = "cuEventRecord")]
    internal static partial CuResult EventRecord(nint @event, nint stream);

    [LibraryImport(Lib, EntryPoint = "cuEventSynchronize")]
    internal static partial CuResult EventSynchronize(nint @event);

    [LibraryImport(Lib, EntryPoint = "cuEventElapsedTime")]
    internal static partial CuResult EventElapsedTime(out float milliseconds, nint start, nint end);

    [LibraryImport(Lib, EntryPoint = "cuModuleLoadData")]
    internal static partial CuResult ModuleLoadData(out nint module, void* image);

    [LibraryImport(Lib, EntryPoint = "cuModuleGetFunction", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial CuResult ModuleGetFunction(out nint function, nint module, string name);

    [LibraryImport(Lib, EntryPoint = "cuModuleUnload")]
    internal static partial CuResult ModuleUnload(nint module);

    [LibraryImport(Lib, EntryPoint = "cuFuncSetAttribute")]
    internal static partial CuResult FuncSetAttribute(nint function, CuFunctionAttribute attribute, int value);

    [LibraryImport(Lib, EntryPoint = "cuLaunchKernel")]
    internal static partial CuResult LaunchKernel(nint function, uint gridX, uint gridY, uint gridZ,
        uint blockX, uint blockY, uint blockZ, uint sharedMemoryBytes, nint stream, void** kernelParams, void** extra);

    [LibraryImport(Lib, EntryPoint = "cuGetErrorName")]
    internal static partial CuResult GetErrorName(CuResult error, out nint name);

    [LibraryImport(Lib, EntryPoint = "cuGetErrorString")]
    internal static partial CuResult GetErrorString(CuResult error, out nint text);

    // cuLaunchKernel's `extra` markers (cuda.h): the argument buffer pointer, a pointer to its size, the end.
    internal static readonly void* LaunchParamEnd = (void*)0x00;
    internal static readonly void* LaunchParamBufferPointer = (void*)0x01;
    internal static readonly void* LaunchParamBufferSize = (void*)0x02;

    internal const uint StreamNonBlocking = 0x1;   // CU_STREAM_NON_BLOCKING
    internal const uint EventDefault = 0x0;        // CU_EVENT_DEFAULT (timing enabled)
    internal const uint EventDisableTiming = 0x2;  // CU_EVENT_DISABLE_TIMING

    /// <summary>The driver's name and description of a result; enum names when the driver is not loaded.</summary>
    internal static (string Name, string? Text) Describe(CuResult status)
    {
        var fallback = StatusNames.Of("CUDA_ERROR_", status);
        try
        {
            if (GetErrorName(status, out var name) != CuResult.Success || name == 0)
                return (fallback, null);
            var text = GetErrorString(status, out var description) == CuResult.Success && description != 0
                ? Marshal.PtrToStringUTF8(description) : null;
            return (Marshal.PtrToStringUTF8(name) ?? fallback, text);
        }
        catch (Exception e) when (e is CudaUnavailableException or DllNotFoundException or EntryPointNotFoundException)
        {
            return (fallback, null);
        }
    }
}

/// <summary>The device attributes the engine reads (CUdevice_attribute).</summary>
internal enum CuDeviceAttribute
{
    MaxThreadsPerBlock = 1,
    MaxSharedMemoryPerBlock = 8,
    WarpSize = 10,
    MultiprocessorCount = 16,
    L2CacheSize = 38,
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
    MaxSharedMemoryPerBlockOptin = 97,
}

/// <summary>Kernel attributes set before a launch (CUfunction_attribute).</summary>
internal enum CuFunctionAttribute
{
    MaxDynamicSharedSizeBytes = 8,
}
