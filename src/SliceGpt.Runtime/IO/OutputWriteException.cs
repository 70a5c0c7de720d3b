namespace SliceGpt.Runtime.IO;

/// <summary>
/// An output could not be written (permission, a file in the way, no space left...): the message names the path and the
/// operating system's reason. Whatever was being written was removed; an existing output is left as it was.
/// </summary>
public sealed class OutputWriteException : SliceGptException
{
    /// <summary>The path that could not be written.</summary>
    public string Path { get; }

    /// <summary>The operating system's reason ("Permission denied", "No space left on device").</summary>
    public string Reason { get; }

    /// <summary>Creates the exception; the message is "<c>cannot write path: reason</c>".</summary>
    public OutputWriteException(string path, string reason, Exception? inner = null)
        : base($"cannot write {path}: {reason}", inner)
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>The typed form of a file system error while writing <paramref name="path"/>.</summary>
    public static OutputWriteException From(string path, Exception e) => new(path, OsErrors.Reason(e), e);
}
