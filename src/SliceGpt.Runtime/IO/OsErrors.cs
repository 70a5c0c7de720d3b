namespace SliceGpt.Runtime.IO;

/// <summary>The operating system's reason for a failed file operation, without .NET's wrapping.</summary>
internal static class OsErrors
{
    /// <summary>True for the exceptions file operations throw when the file system refuses (not for bugs).</summary>
    public static bool IsFileSystemError(Exception e) => e is IOException or UnauthorizedAccessException;

    /// <summary>
    /// "Permission denied", "No space left on device", ...: on Unix the errno text .NET carries (as the inner exception
    /// of <see cref="UnauthorizedAccessException"/>, or before the " : 'path'" suffix of an <see cref="IOException"/>).
    /// </summary>
    public static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException { InnerException: IOException inner } => WithoutPath(inner.Message),
        UnauthorizedAccessException => "permission denied",
        FileNotFoundException => "no such file",
        DirectoryNotFoundException => "a folder on the path does not exist (or a file is in the way)",
        PathTooLongException => "the path is too long",
        IOException io => WithoutPath(io.Message),
        _ => e.Message,
    };

    private static string WithoutPath(string message)
    {
        int at = message.LastIndexOf(" : '", StringComparison.Ordinal);
        return at > 0 ? message[..at] : message;
    }
}
