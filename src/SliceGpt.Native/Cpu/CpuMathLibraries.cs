namespace SliceGpt.Native.Cpu;

/// <summary>
/// Resolves the logical library names used by <see cref="OpenBlas"/> and <see cref="Lapacke"/> to OpenBLAS
/// (pthread build) and LAPACKE: the file named by <c>SLICEGPT_OPENBLAS</c> / <c>SLICEGPT_LAPACKE</c> when set (another
/// build, and nothing else is tried); else a <c>native/</c> folder beside the application (the self-contained GPU bundle
/// carries the libraries there), then the system's Debian folders, then the loader path, probing versioned sonames.
/// </summary>
internal static class CpuMathLibraries
{
    internal const string OpenBlasName = "slicegpt-openblas";
    internal const string LapackeName = "slicegpt-lapacke";

    private static readonly string[] OpenBlasFiles = ["libopenblas.so.0", "libopenblasp-r0.3.21.so", "libopenblas.so"];
    private static readonly string[] LapackeFiles = ["liblapacke.so.3", "liblapacke.so"];
    // Libraries the bundled OpenBLAS and LAPACKE need; loaded first by absolute path, the dynamic linker then finds
    // them by soname without LD_LIBRARY_PATH.
    private static readonly string[] BundledDependencies =
        ["libquadmath.so.0", "libgfortran.so.5", "libblas.so.3", "liblapack.so.3", "libtmglib.so.3"];

    private static readonly string BundleFolder = Path.Combine(AppContext.BaseDirectory, "native");

    private static readonly string[] Folders =
    [
        BundleFolder,
        "/usr/lib/x86_64-linux-gnu/openblas-pthread",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib64",
        "/usr/local/lib",
    ];

    /// <summary>The environment variable naming an OpenBLAS library file to use instead of the system's.</summary>
    public const string OpenBlasVariable = "SLICEGPT_OPENBLAS";

    /// <summary>The environment variable naming a LAPACKE library file to use instead of the system's.</summary>
    public const string LapackeVariable = "SLICEGPT_LAPACKE";

    private static readonly Lazy<IntPtr> OpenBlasHandle = new(() => Load("OpenBLAS", OpenBlasFiles, OpenBlasVariable));
    private static readonly Lazy<IntPtr> LapackeHandle = new(() => Load("LAPACKE", LapackeFiles, LapackeVariable));

    /// <summary>The handle for one of this class's logical names, or zero for a name it does not own.</summary>
    internal static IntPtr Resolve(string name) => name switch
    {
        OpenBlasName => OpenBlasHandle.Value,
        LapackeName => LapackeHandle.Value,
        _ => IntPtr.Zero,
    };

    private static readonly Lazy<bool> BundleDependencies = new(() =>
    {
        foreach (var file in BundledDependencies)
        {
            var path = Path.Combine(BundleFolder, file);
            if (File.Exists(path))
                System.Runtime.InteropServices.NativeLibrary.TryLoad(path, out _);
        }
        return true;
    });

    private static IntPtr Load(string library, string[] files, string variable)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } chosen)
        {
            if (System.Runtime.InteropServices.NativeLibrary.TryLoad(chosen, out var chosenHandle))
                return chosenHandle;
            throw new BlasUnavailableException(library,
                [$"{chosen} ({variable}): {(File.Exists(chosen) ? "exists but failed to load" : "not found")}"], variable);
        }
        _ = BundleDependencies.Value;
        var tried = new List<string>();
        var handle = NativeLibraryProbe.TryLoadFirst(files, Folders, tried);
        if (handle == IntPtr.Zero)
            throw new BlasUnavailableException(library, tried, variable);
        return handle;
    }

    /// <summary>Forces both libraries to load now, so a missing one fails early with the full list.</summary>
    internal static void EnsureLoaded()
    {
        _ = OpenBlasHandle.Value;
        _ = LapackeHandle.Value;
    }
}
