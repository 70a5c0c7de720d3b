using System.Runtime.InteropServices;
using System.Text;
using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// Compiles CUDA C++ at run time with NVRTC. Stateless apart from what it learns about the loaded NVRTC
/// (version, supported architectures), so one instance serves every thread; each compilation owns its
/// nvrtcProgram for the duration of <see cref="Compile"/> and always destroys it.
/// </summary>
public sealed unsafe class NvrtcCompiler
{
    private static readonly Lazy<NvrtcCompiler> SharedInstance = new(() => new NvrtcCompiler());

    /// <summary>Loads NVRTC and reads its version and supported architectures.</summary>
    /// <exception cref="CudaUnavailableException">NVRTC is not installed.</exception>
    public NvrtcCompiler()
    {
        CudaLibraries.EnsureLoaded(CudaLibrary.Nvrtc);
        NvrtcCheck.ThrowIfFailed(Nvrtc.Version(out int major, out int minor));
        Version = new Version(major, minor);
        NvrtcCheck.ThrowIfFailed(Nvrtc.GetNumSupportedArchs(out int count));
        var archs = new int[count];
        fixed (int* p = archs)
            NvrtcCheck.ThrowIfFailed(Nvrtc.GetSupportedArchs(p));
        SupportedArchitectures = archs.Order().ToArray();
    }

    /// <summary>The process-wide compiler.</summary>
    public static NvrtcCompiler Shared => SharedInstance.Value;

    /// <summary>NVRTC's version (12.x or 13.x).</summary>
    public Version Version { get; }

    /// <summary>Architectures NVRTC can generate code for (e.g. 75, 80, 86, 89, 90, 100).</summary>
    public IReadOnlyList<int> SupportedArchitectures { get; }

    /// <summary>
    /// The target for a device: a CUBIN for its exact architecture when NVRTC knows it (no JIT, no PTX-version
    /// mismatch with an older driver), else PTX for the newest supported architecture below it, which the
    /// driver compiles on load.
    /// </summary>
    public string TargetFor(int deviceArchitecture)
    {
        if (SupportedArchitectures.Contains(deviceArchitecture))
            return $"sm_{deviceArchitecture}";
        var below = SupportedArchitectures.Where(a => a <= deviceArchitecture).ToList();
        if (below.Count == 0)
            throw new NotSupportedException($"NVRTC {Version} supports architectures {string.Join(", ", SupportedArchitectures)}, none at or below sm_{deviceArchitecture}");
        return $"compute_{below.Max()}";
    }

    /// <summary>Compiles <paramref name="source"/> for <paramref name="target"/> ("sm_90" or "compute_90").</summary>
    /// <param name="source">The translation unit and its headers.</param>
    /// <param name="target">Real architecture (CUBIN) or virtual one (PTX).</param>
    /// <param name="extraOptions">Options after the engine's defaults (-std=c++17 and the architecture).</param>
    /// <exception cref="NvrtcCompilationException">The source did not compile; the exception has the log.</exception>
    public KernelImage Compile(KernelSource source, string target, IReadOnlyList<string>? extraOptions = null)
    {
        var options = new List<string> { $"--gpu-architecture={target}", "-std=c++17" };
        options.AddRange(extraOptions ?? []);
        using var strings = new NativeStrings();
        byte** headers = strings.Array(source.Headers.Select(h => h.Text));
        byte** includeNames = strings.Array(source.Headers.Select(h => h.IncludeName));
        byte** optionArray = strings.Array(options);
        NvrtcCheck.ThrowIfFailed(Nvrtc.CreateProgram(out nint program, strings.Add(source.Text), strings.Add(source.Name),
            source.Headers.Count, headers, includeNames));
        try
        {
            var status = Nvrtc.CompileProgram(program, options.Count, optionArray);
            var log = ReadLog(program);
            if (status == NvrtcResult.Compilation)
                throw new NvrtcCompilationException(source.Name, options, log);
            NvrtcCheck.ThrowIfFailed(status);
            bool cubin = target.StartsWith("sm_", StringComparison.Ordinal);
            return new KernelImage(cubin ? ReadCubin(program) : ReadPtx(program), target, log);
        }
        finally
        {
            NvrtcCheck.ThrowIfFailed(Nvrtc.DestroyProgram(ref program));
        }
    }

    private static string ReadLog(nint program)
    {
        NvrtcCheck.ThrowIfFailed(Nvrtc.GetProgramLogSize(program, out nuint size));
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
            NvrtcCheck.ThrowIfFailed(Nvrtc.GetProgramLog(program, p));
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0').Trim();
    }

    private static byte[] ReadPtx(nint program)
    {
        NvrtcCheck.ThrowIfFailed(Nvrtc.GetPtxSize(program, out nuint size));
        var bytes = new byte[(int)size]; // includes the terminating NUL cuModuleLoadData needs for PTX
        fixed (byte* p = bytes)
            NvrtcCheck.ThrowIfFailed(Nvrtc.GetPtx(program, p));
        return bytes;
    }

    private static byte[] ReadCubin(nint program)
    {
        NvrtcCheck.ThrowIfFailed(Nvrtc.GetCubinSize(program, out nuint size));
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
            NvrtcCheck.ThrowIfFailed(Nvrtc.GetCubin(program, p));
        return bytes;
    }

    // NUL-terminated UTF-8 copies for the length of one compilation, freed together.
    private sealed class NativeStrings : IDisposable
    {
        private readonly List<nint> _blocks = [];

        public byte* Add(string text)
        {
            int count = Encoding.UTF8.GetByteCount(text);
            var block = (byte*)NativeMemory.Alloc((nuint)count + 1);
            _blocks.Add((nint)block);
            Encoding.UTF8.GetBytes(text, new Span<byte>(block, count));
            block[count] = 0;
            return block;
        }

        public byte** Array(IEnumerable<string> texts)
        {
            var items = texts.ToList();
            var array = (byte**)NativeMemory.Alloc((nuint)Math.Max(1, items.Count), (nuint)sizeof(byte*));
            _blocks.Add((nint)array);
            for (int i = 0; i < items.Count; i++)
                array[i] = Add(items[i]);
            return array;
        }

        public void Dispose()
        {
            foreach (var block in _blocks)
                NativeMemory.Free((void*)block);
            _blocks.Clear();
        }
    }
}
