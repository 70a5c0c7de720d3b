using System.Runtime.InteropServices;

namespace SliceGpt.Native.Cuda.Interop;

/// <summary>Raw NVRTC entry points (nvrtc.h). <see cref="NvrtcCompiler"/> owns programs and checks results.</summary>
internal static unsafe partial class Nvrtc
{
    private const string Lib = CudaLibraries.NvrtcName;

    [LibraryImport(Lib, EntryPoint = "nvrtcVersion")]
    internal static partial NvrtcResult Version(out int major, out int minor);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetNumSupportedArchs")]
    internal static partial NvrtcResult GetNumSupportedArchs(out int count);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetSupportedArchs")]
    internal static partial NvrtcResult GetSupportedArchs(int* archs);

    [LibraryImport(Lib, EntryPoint = "nvrtcCreateProgram")]
    internal static partial NvrtcResult CreateProgram(out nint program, byte* source, byte* name,
        int headerCount, byte** headers, byte** includeNames);

    [LibraryImport(Lib, EntryPoint = "nvrtcCompileProgram")]
    internal static partial NvrtcResult CompileProgram(nint program, int optionCount, byte** options);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetProgramLogSize")]
    internal static partial NvrtcResult GetProgramLogSize(nint program, out nuint size);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetProgramLog")]
    internal static partial NvrtcResult GetProgramLog(nint program, byte* log);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetPTXSize")]
    internal static partial NvrtcResult GetPtxSize(nint program, out nuint size);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetPTX")]
    internal static partial NvrtcResult GetPtx(nint program, byte* ptx);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetCUBINSize")]
    internal static partial NvrtcResult GetCubinSize(nint program, out nuint size);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetCUBIN")]
    internal static partial NvrtcResult GetCubin(nint program, byte* cubin);

    [LibraryImport(Lib, EntryPoint = "nvrtcDestroyProgram")]
    internal static partial NvrtcResult DestroyProgram(ref nint program);

    [LibraryImport(Lib, EntryPoint = "nvrtcGetErrorString")]
    internal static partial nint GetErrorString(NvrtcResult result);

    /// <summary>NVRTC's own name for a result, or the enum's when NVRTC is not loaded.</summary>
    internal static string Describe(NvrtcResult status)
    {
        try
        {
            var text = GetErrorString(status);
            return text == 0 ? StatusNames.Of("NVRTC_ERROR_", status) : Marshal.PtrToStringUTF8(text)!;
        }
        catch (Exception e) when (e is CudaUnavailableException or DllNotFoundException or EntryPointNotFoundException)
        {
            return StatusNames.Of("NVRTC_ERROR_", status);
        }
    }
}
