using System.Runtime.InteropServices;

namespace SliceGpt.Native;

/// <summary>
/// Loads the first native library that opens from an ordered list of candidate file names and folders,
/// remembering every attempt so that a failure can say exactly what was tried.
/// </summary>
public static class NativeLibraryProbe
{
    /// <summary>Tries each folder (then the loader path) with each name in order.</summary>
    /// <param name="names">Candidate file names, most preferred first (versioned sonames before bare names).</param>
    /// <param name="folders">Folders to try before the loader's own search path.</param>
    /// <param name="tried">Receives every "path: reason" that failed.</param>
    /// <returns>The handle, or <see cref="IntPtr.Zero"/> when nothing loaded.</returns>
    public static IntPtr TryLoadFirst(IEnumerable<string> names, IEnumerable<string> folders, List<string> tried)
    {
        var nameList = names.ToList();
        foreach (var folder in folders.Where(Directory.Exists))
        {
            foreach (var name in nameList)
            {
                var path = Path.Combine(folder, name);
                if (!File.Exists(path))
                {
                    tried.Add($"{path}: not found");
                    continue;
                }
                if (NativeLibrary.TryLoad(path, out var handle))
                    return handle;
                tried.Add($"{path}: exists but failed to load");
            }
        }
        foreach (var name in nameList)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
                return handle;
            tried.Add($"{name} (loader path): not loadable");
        }
        return IntPtr.Zero;
    }
}
