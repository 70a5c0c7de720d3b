namespace SliceGpt.Runtime.IO;

/// <summary>Checks, before any expensive work, that an output can be created where it was asked for.</summary>
public static class OutputLocation
{
    /// <summary>
    /// Checks that <paramref name="target"/> (a file or folder to be created) can be written: no file stands where a folder
    /// of its path must be, the nearest existing folder accepts a new entry (tried with a probe folder, removed at once), and
    /// its file system has <paramref name="requiredBytes"/> free. Nothing is left behind.
    /// </summary>
    /// <exception cref="OutputWriteException">The output could not be written; the message says why.</exception>
    public static void Check(string target, long requiredBytes)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        var existing = NearestExistingFolder(full, target);
        var probe = Path.Combine(existing, $".slicegpt-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        TemporaryOutputs.Register(probe);
        try
        {
            AtomicFile.Guard(target, () =>
            {
                Directory.CreateDirectory(probe);
                Directory.Delete(probe);
            });
        }
        finally
        {
            TemporaryOutputs.Delete(probe);
            TemporaryOutputs.Unregister(probe);
        }
        long free = OutputFiles.FreeBytes(existing);
        if (free < requiredBytes)
            throw new OutputWriteException(target,
                $"not enough free space: the output needs about {Size(requiredBytes)}, {Size(free)} are free on the file system of {existing}");
    }

    /// <summary>"12.3 MB".</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 10_000 => $"{bytes} bytes",
        < 10_000_000 => $"{bytes / 1e3:F1} kB",
        < 10_000_000_000 => $"{bytes / 1e6:F1} MB",
        _ => $"{bytes / 1e9:F1} GB",
    };

    private static string NearestExistingFolder(string full, string target)
    {
        for (var path = Path.GetDirectoryName(full); path is not null; path = Path.GetDirectoryName(path))
        {
            if (Directory.Exists(path))
                return path;
            if (File.Exists(path))
                throw new OutputWriteException(target, $"{path} is a file, not a folder");
        }
        throw new OutputWriteException(target, "no existing folder on its path");
    }
}
