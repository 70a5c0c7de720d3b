using System.Runtime.InteropServices;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// Resolves the logical library names of the CUDA <c>[LibraryImport]</c>s to the libraries found by
/// <see cref="CudaProbePlan.Default"/>, loading each once per process. A failure is remembered, so every
/// later use rethrows the same <see cref="CudaUnavailableException"/> with the full list of attempts.
/// </summary>
public static class CudaLibraries
{
    internal const string DriverName = "slicegpt-cuda";
    internal const string NvrtcName = "slicegpt-nvrtc";
    internal const string CublasName = "slicegpt-cublas";
    internal const string CusolverName = "slicegpt-cusolver";
    internal const string CusparseLtName = "slicegpt-cusparselt";

    private static readonly Lazy<LoadedLibrary>[] Loaded = Enum.GetValues<CudaLibrary>()
        .Select(library => new Lazy<LoadedLibrary>(() => Load(CudaProbePlan.Default(library))))
        .ToArray();

    /// <summary>Loads <paramref name="library"/> now, or throws <see cref="CudaUnavailableException"/>.</summary>
    public static void EnsureLoaded(CudaLibrary library) => _ = Loaded[(int)library].Value;

    /// <summary>The file that was loaded for <paramref name="library"/> (loading it if needed).</summary>
    public static string LoadedFrom(CudaLibrary library) => Loaded[(int)library].Value.Path;

    /// <summary>
    /// Loads the first candidate of <paramref name="plan"/> that opens, its prerequisites first.
    /// Does not register the result with the resolver: this is the probing step, public for diagnostics and tests.
    /// </summary>
    /// <exception cref="CudaUnavailableException">Nothing opened; the exception lists every attempt.</exception>
    public static LoadedLibrary Load(CudaProbePlan plan)
    {
        var tried = new List<string>();
        foreach (var location in plan.Locations)
        {
            bool loaderPath = location == CudaProbePlan.LoaderPath;
            if (!loaderPath && !Directory.Exists(location))
            {
                tried.Add($"{location}: folder does not exist");
                continue;
            }
            foreach (var candidate in plan.Candidates)
            {
                var path = loaderPath ? candidate.FileName : Path.Combine(location, candidate.FileName);
                if (!loaderPath && !File.Exists(path))
                {
                    tried.Add($"{path}: not found");
                    continue;
                }
                LoadPrerequisites(candidate, location, plan.Locations);
                if (TryOpen(path, out var handle, out var reason))
                    return new LoadedLibrary(plan.Library, path, handle);
                tried.Add(loaderPath ? $"{path} {CudaProbePlan.LoaderPath}: {reason}" : $"{path}: {reason}");
            }
        }
        throw new CudaUnavailableException(plan.Library, tried);
    }

    internal static IntPtr Resolve(string name) => name switch
    {
        DriverName => Loaded[(int)CudaLibrary.Driver].Value.Handle,
        NvrtcName => Loaded[(int)CudaLibrary.Nvrtc].Value.Handle,
        CublasName => Loaded[(int)CudaLibrary.Cublas].Value.Handle,
        CusolverName => Loaded[(int)CudaLibrary.Cusolver].Value.Handle,
        CusparseLtName => Loaded[(int)CudaLibrary.CusparseLt].Value.Handle,
        _ => IntPtr.Zero,
    };

    // Best effort: a prerequisite that does not open here is left to the main library's own load error.
    private static void LoadPrerequisites(CudaLibraryCandidate candidate, string home, IReadOnlyList<string> locations)
    {
        foreach (var prerequisite in candidate.Prerequisites)
        {
            foreach (var location in locations.Where(l => l != home).Prepend(home))
            {
                if (OpenPrerequisite(prerequisite, location))
                    break;
            }
        }
    }

    private static bool OpenPrerequisite(string fileName, string location)
    {
        if (location == CudaProbePlan.LoaderPath)
            return !fileName.Contains('*') && TryOpen(fileName, out _, out _);
        if (!Directory.Exists(location))
            return false;
        var matches = fileName.Contains('*')
            ? Directory.EnumerateFiles(location, fileName).Order(StringComparer.Ordinal)
            : File.Exists(Path.Combine(location, fileName)) ? [Path.Combine(location, fileName)] : Enumerable.Empty<string>();
        return matches.Any(path => TryOpen(path, out _, out _));
    }

    private static bool TryOpen(string path, out IntPtr handle, out string reason)
    {
        try
        {
            handle = NativeLibrary.Load(path);
            reason = "";
            return true;
        }
        catch (DllNotFoundException e)
        {
            handle = IntPtr.Zero;
            reason = LoaderReason(e.Message);
            return false;
        }
        catch (BadImageFormatException e)
        {
            handle = IntPtr.Zero;
            reason = LoaderReason(e.Message);
            return false;
        }
    }

    // .NET wraps dlerror's text (a missing dependency, a wrong architecture, ...) in advice about strace and
    // LD_DEBUG; the dlerror part is what says why.
    private static string LoaderReason(string message)
    {
        const string marker = "environment variable:";
        int at = message.LastIndexOf(marker, StringComparison.Ordinal);
        var reason = at >= 0 ? message[(at + marker.Length)..] : message;
        return reason.ReplaceLineEndings(" ").Trim();
    }
}

/// <summary>A library that was opened: which one, from where, and its handle.</summary>
/// <param name="Library">The library.</param>
/// <param name="Path">The path or bare name that opened.</param>
/// <param name="Handle">The native handle; libraries stay loaded for the life of the process.</param>
public sealed record LoadedLibrary(CudaLibrary Library, string Path, IntPtr Handle);
