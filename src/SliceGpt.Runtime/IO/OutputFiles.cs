namespace SliceGpt.Runtime.IO;

/// <summary>
/// The file system calls every output goes through, as replaceable functions: tests inject a stream that fails as a full
/// disk does, or a small free-space figure, without a real full file system.
/// </summary>
internal static class OutputFiles
{
    /// <summary>Creates a new file for writing (never replaces one).</summary>
    public static Func<string, Stream> Create { get; set; } = DefaultCreate;

    /// <summary>Bytes available to this process on the file system holding an existing path.</summary>
    public static Func<string, long> FreeBytes { get; set; } = DefaultFreeBytes;

    /// <summary>Restores the real file system calls (tests).</summary>
    public static void Reset()
    {
        Create = DefaultCreate;
        FreeBytes = DefaultFreeBytes;
    }

    private static Stream DefaultCreate(string path) =>
        new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);

    private static long DefaultFreeBytes(string existingPath)
    {
        try
        {
            return new DriveInfo(existingPath).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue; // unknown: the write itself will report a full disk
        }
    }
}
