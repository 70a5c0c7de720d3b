namespace SliceGpt.Native.Cuda;

/// <summary>NVRTC rejected a kernel source; carries the compiler's full log and what was compiled how.</summary>
public sealed class NvrtcCompilationException : Exception
{
    /// <summary>The program (source file) name, e.g. "norm.cu".</summary>
    public string KernelName { get; }

    /// <summary>The options passed to nvrtcCompileProgram.</summary>
    public IReadOnlyList<string> Options { get; }

    /// <summary>NVRTC's complete log.</summary>
    public string Log { get; }

    /// <summary>Creates the exception.</summary>
    public NvrtcCompilationException(string kernelName, IReadOnlyList<string> options, string log)
        : base($"NVRTC could not compile {kernelName} (options: {string.Join(' ', options)}):{Environment.NewLine}{log}")
    {
        KernelName = kernelName;
        Options = options;
        Log = log;
    }
}
