namespace SliceGpt.Native.Cuda;

/// <summary>
/// The folders searched for CUDA libraries, most specific first: $CUDA_HOME and $CUDA_PATH, /usr/local/cuda,
/// conda's lib folder, then NVIDIA's Python wheels (site-packages/nvidia/*/lib: nvidia/cu13/lib for CUDA 13, one folder per
/// package such as nvidia/cublas/lib for CUDA 12) in the usual interpreter, virtual-env and conda places.
/// Enumerated from the file system only: no interpreter is started.
/// </summary>
public static class CudaLibraryFolders
{
    private static readonly Lazy<IReadOnlyList<string>> Toolkit = new(EnumerateToolkitFolders);
    private static readonly Lazy<IReadOnlyList<string>> Wheels = new(EnumerateWheelFolders);

    /// <summary>$CUDA_HOME/lib64 and $CUDA_PATH/lib64 when set, /usr/local/cuda/lib64, and $CONDA_PREFIX/lib (conda's CUDA packages).</summary>
    public static IReadOnlyList<string> ToolkitFolders => Toolkit.Value;

    /// <summary>Every existing site-packages/nvidia/*/lib folder found.</summary>
    public static IReadOnlyList<string> WheelFolders => Wheels.Value;

    /// <summary>Where a GPU driver's libcuda.so.1 lives when it is not on the loader path (containers, WSL).</summary>
    public static IReadOnlyList<string> DriverFolders { get; } =
        ["/usr/local/nvidia/lib64", "/usr/lib/wsl/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib64"];

    private static IReadOnlyList<string> EnumerateToolkitFolders()
    {
        var folders = new List<string>();
        foreach (var variable in new[] { "CUDA_HOME", "CUDA_PATH" })
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } root)
                folders.Add(Path.Combine(root, "lib64"));
        }
        folders.Add("/usr/local/cuda/lib64");
        if (Environment.GetEnvironmentVariable("CONDA_PREFIX") is { Length: > 0 } conda)
            folders.Add(Path.Combine(conda, "lib"));
        return folders.Distinct().ToList();
    }

    private static IReadOnlyList<string> EnumerateWheelFolders()
    {
        var sitePackages = new List<string>();
        void AddPythonLibs(string? prefix)
        {
            if (string.IsNullOrEmpty(prefix) || !Directory.Exists(prefix))
                return;
            foreach (var python in SafeDirectories(prefix, "python3*"))
            {
                sitePackages.Add(Path.Combine(python, "site-packages"));
                sitePackages.Add(Path.Combine(python, "dist-packages"));
            }
        }
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        AddPythonLibs(Environment.GetEnvironmentVariable("VIRTUAL_ENV") is { } venv ? Path.Combine(venv, "lib") : null);
        AddPythonLibs(Environment.GetEnvironmentVariable("CONDA_PREFIX") is { } conda ? Path.Combine(conda, "lib") : null);
        AddPythonLibs(string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".local", "lib"));
        AddPythonLibs("/usr/local/lib");
        AddPythonLibs("/usr/lib");
        AddPythonLibs("/opt/conda/lib");
        sitePackages.Add("/usr/lib/python3/dist-packages");
        foreach (var entry in (Environment.GetEnvironmentVariable("PYTHONPATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            sitePackages.Add(entry);

        var folders = new List<string>();
        foreach (var site in sitePackages.Distinct())
        {
            var nvidia = Path.Combine(site, "nvidia");
            if (!Directory.Exists(nvidia))
                continue;
            // cu13 first: it holds every CUDA 13 library; the per-package folders are CUDA 12's layout.
            foreach (var package in SafeDirectories(nvidia, "*").OrderBy(p => Path.GetFileName(p) == "cu13" ? 0 : 1))
            {
                var lib = Path.Combine(package, "lib");
                if (Directory.Exists(lib))
                    folders.Add(lib);
            }
        }
        return folders;
    }

    private static IEnumerable<string> SafeDirectories(string parent, string pattern)
    {
        try
        {
            return Directory.EnumerateDirectories(parent, pattern).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
