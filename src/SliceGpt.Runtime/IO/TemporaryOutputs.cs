namespace SliceGpt.Runtime.IO;

/// <summary>
/// The temporary files and folders this process is writing (outputs under a temporary sibling name, renamed when
/// complete). A signal handler calls <see cref="RemoveAll"/> before it exits, so an interrupt at any point leaves nothing
/// behind. Renames into place happen under the same lock, so an output is either complete or absent.
/// </summary>
public static class TemporaryOutputs
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<string> Paths = new(StringComparer.Ordinal);
    private static bool _terminating;

    /// <summary>True once <see cref="RemoveAll"/> has run: the process is exiting and writes no more.</summary>
    public static bool Terminating
    {
        get
        {
            lock (Gate)
                return _terminating;
        }
    }

    /// <summary>
    /// Removes every temporary output in progress and refuses new ones (they fail with
    /// <see cref="OperationCanceledException"/>). For a handler of SIGINT/SIGTERM that exits the process next.
    /// </summary>
    /// <returns>The paths removed.</returns>
    public static IReadOnlyList<string> RemoveAll()
    {
        lock (Gate)
        {
            _terminating = true;
            var removed = new List<string>();
            foreach (var path in Paths)
            {
                if (Delete(path))
                    removed.Add(path);
            }
            Paths.Clear();
            return removed;
        }
    }

    /// <summary>Records <paramref name="path"/> as temporary (before it is created).</summary>
    /// <exception cref="OperationCanceledException">The process is terminating.</exception>
    internal static void Register(string path)
    {
        lock (Gate)
        {
            ThrowIfTerminating();
            Paths.Add(path);
        }
    }

    /// <summary>Forgets <paramref name="path"/> (it was renamed into place or removed).</summary>
    internal static void Unregister(string path)
    {
        lock (Gate)
            Paths.Remove(path);
    }

    /// <summary>Runs <paramref name="publish"/> (renames) so that <see cref="RemoveAll"/> sees it either not begun or done.</summary>
    /// <exception cref="OperationCanceledException">The process is terminating.</exception>
    internal static void Publish(Action publish)
    {
        lock (Gate)
        {
            ThrowIfTerminating();
            publish();
        }
    }

    /// <summary>Deletes a file or folder tree if it exists; true when something was deleted.</summary>
    internal static bool Delete(string path)
    {
        // A writer may still create a file inside a folder being deleted (it runs until the process exits): retry.
        for (int attempt = 0; attempt < 10; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                    Directory.Delete(path, recursive: true);
                else if (File.Exists(path))
                    File.Delete(path);
                else
                    return attempt > 0;
                return true;
            }
            catch (Exception e) when (OsErrors.IsFileSystemError(e))
            {
                Thread.Sleep(10);
            }
        }
        return false;
    }

    private static void ThrowIfTerminating()
    {
        if (_terminating)
            throw new OperationCanceledException("the process is terminating; no more outputs are written");
    }
}
