namespace SliceGpt.Native.Cpu;

/// <summary>
/// Resolves the logical library names used by <see cref="OpenBlas"/> and <see cref="Lapacke"/> to the
/// system's OpenBLAS (pthread build) and LAPACKE, probing versioned sonames in the Debian folders first.
/// </summary>
internal static class CpuMathLibraries
{
    internal const string OpenBlasName = "slicegpt-openblas";
    internal const string LapackeName = "slicegpt-lapacke";

    private static readonly string[] OpenBlasFiles = ["libopenblas.so.0", "libopenblasp-r0.3.21.so", "libopenblas.so"];
    private static readonly string[] LapackeFiles = ["liblapacke.so.3", "liblapacke.so"];
    private static readonly string[] Folders =
    [
        "/usr/lib/x86_64-linux-gnu/openblas-pthread",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib64",
        "/usr/local/lib",
    ];

    private static readonly Lazy<IntPtr> OpenBlasHandle = new(() => Load("OpenBLAS", OpenBlasFiles));
    private static readonly Lazy<IntPtr> LapackeHandle = new(() => Load("LAPACKE", LapackeFiles));

    /// <summary>The handle for one of this class's logical names, or zero for a name it does not own.</summary>
    internal static IntPtr Resolve(string name) => name switch
    {
        OpenBlasName => OpenBlasHandle.Value,
        LapackeName => LapackeHandle.Value,
        _ => IntPtr.Zero,
    };

    private static IntPtr Load(string library, string[] files)
    {
        var tried = new List<string>();
        var handle = NativeLibraryProbe.TryLoadFirst(files, Folders, tried);
        if (handle == IntPtr.Zero)
            throw new BlasUnavailableException(library, tried);
        return handle;
    }

    /// <summary>Forces both libraries to load now, so a missing one fails early with the full list.</summary>
    internal static void EnsureLoaded()
    {
        _ = OpenBlasHandle.Value;
        _ = LapackeHandle.Value;
    }
}
