namespace SliceGpt.Runtime.IO;

/// <summary>
/// Writes one file atomically: into a temporary sibling (<c>name.partial-PID</c>), flushed to the disk, then renamed over
/// the target. A failure or an interrupt leaves the target as it was and no temporary file behind.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>.</summary>
    /// <exception cref="OutputWriteException">The file system refused (permission, no space...); nothing was changed.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        var temporary = $"{path}.partial-{Environment.ProcessId}";
        TemporaryOutputs.Register(temporary);
        try
        {
            WriteNew(temporary, write, reportAs: path);
            TemporaryOutputs.Publish(() => Guard(path, () => File.Move(temporary, path, overwrite: true)));
        }
        finally
        {
            TemporaryOutputs.Delete(temporary);
            TemporaryOutputs.Unregister(temporary);
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    /// <exception cref="OutputWriteException">The file system refused; nothing was changed.</exception>
    public static void Write(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    /// <summary>Creates <paramref name="path"/> (which must not exist), writes it and flushes it to the disk.</summary>
    internal static void WriteNew(string path, Action<Stream> write, string reportAs)
    {
        Guard(reportAs, () =>
        {
            using var stream = OutputFiles.Create(path);
            write(stream);
            if (stream is FileStream file)
                file.Flush(flushToDisk: true);
            else
                stream.Flush();
        });
    }

    /// <summary>Runs a file system action, turning its errors into an <see cref="OutputWriteException"/> naming <paramref name="path"/>.</summary>
    internal static void Guard(string path, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (OsErrors.IsFileSystemError(e))
        {
            throw OutputWriteException.From(path, e);
        }
    }
}
