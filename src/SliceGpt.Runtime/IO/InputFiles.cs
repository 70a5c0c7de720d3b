namespace SliceGpt.Runtime.IO;

/// <summary>Reads input files, turning file system errors into <see cref="InputValidationException"/>s naming the file.</summary>
public static class InputFiles
{
    /// <summary>The whole file.</summary>
    /// <exception cref="InputValidationException">Missing, a folder, or unreadable.</exception>
    public static byte[] ReadAllBytes(string path) => Guard(path, () => File.ReadAllBytes(path));

    /// <summary>Opens the file for reading.</summary>
    /// <exception cref="InputValidationException">Missing, a folder, or unreadable.</exception>
    public static FileStream OpenRead(string path) => Guard(path, () => File.OpenRead(path));

    /// <summary>Checks that <paramref name="path"/> is a file this process can open for reading.</summary>
    /// <exception cref="InputValidationException">Missing, a folder, or unreadable.</exception>
    public static void RequireReadable(string path) => OpenRead(path).Dispose();

    /// <summary>Runs <paramref name="read"/>, turning file system errors about <paramref name="path"/> into typed ones.</summary>
    internal static T Guard<T>(string path, Func<T> read)
    {
        if (Directory.Exists(path))
            throw new InputValidationException(path, null, "is a folder, not a file");
        try
        {
            return read();
        }
        catch (Exception e) when (OsErrors.IsFileSystemError(e))
        {
            throw InputValidationException.Unreadable(path, e);
        }
    }
}
