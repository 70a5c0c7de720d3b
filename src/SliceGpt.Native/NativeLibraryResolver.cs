using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SliceGpt.Native;

/// <summary>
/// The one DllImport resolver of this assembly: every <c>[LibraryImport]</c> uses a logical library name
/// that a family-specific class (CPU math, CUDA) maps to a handle it probed for.
/// </summary>
internal static class NativeLibraryResolver
{
    // A resolver can be set only once per assembly and must be in place before the first P/Invoke,
    // which is exactly what a module initializer guarantees.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        var handle = Cpu.CpuMathLibraries.Resolve(name);
        if (handle == IntPtr.Zero)
            handle = Cuda.CudaLibraries.Resolve(name);
        return handle;
    }
}
