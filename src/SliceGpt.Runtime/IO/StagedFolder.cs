namespace SliceGpt.Runtime.IO;

/// <summary>
/// An output folder assembled under a temporary sibling name (<c>target.partial-PID</c>) and renamed into place by
/// <see cref="Commit"/> once every file is written and flushed. Disposing it uncommitted removes the temporary folder;
/// a folder already at the target is replaced only on commit, and restored if the rename fails.
/// </summary>
public sealed class StagedFolder : IDisposable
{
    private readonly string? _createdParent; // the highest missing parent of the target, created with the temporary folder
    private bool _committed;

    /// <summary>The folder that <see cref="Commit"/> creates or replaces.</summary>
    public string Target { get; }

    /// <summary>The temporary folder the files are written to.</summary>
    public string Path { get; }

    private StagedFolder(string target, string path, string? createdParent)
    {
        Target = target;
        Path = path;
        _createdParent = createdParent;
    }

    /// <summary>
    /// Creates the temporary folder for <paramref name="target"/> (and the target's missing parents), after checking that
    /// <paramref name="requiredBytes"/> are free.
    /// </summary>
    /// <exception cref="OutputWriteException">The folder cannot be created, or there is not enough space.</exception>
    public static StagedFolder Create(string target, long requiredBytes = 0)
    {
        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(target));
        OutputLocation.Check(full, requiredBytes);
        var staging = $"{full}.partial-{Environment.ProcessId}";
        var createdParent = HighestMissingParent(full);
        TemporaryOutputs.Register(createdParent ?? staging);
        try
        {
            AtomicFile.Guard(full, () =>
            {
                if (Directory.Exists(staging))
                    Directory.Delete(staging, recursive: true);
                Directory.CreateDirectory(staging);
            });
        }
        catch
        {
            TemporaryOutputs.Delete(createdParent ?? staging);
            TemporaryOutputs.Unregister(createdParent ?? staging);
            throw;
        }
        return new StagedFolder(full, staging, createdParent);
    }

    // Missing parents are created with the temporary folder; until the commit they are temporary too.
    private static string? HighestMissingParent(string full)
    {
        string? highest = null;
        for (var path = System.IO.Path.GetDirectoryName(full); path is not null && !Directory.Exists(path); path = System.IO.Path.GetDirectoryName(path))
            highest = path;
        return highest;
    }

    private string Temporary => _createdParent ?? Path;

    /// <summary>Writes the file <paramref name="name"/> of the folder with <paramref name="write"/> and flushes it to the disk.</summary>
    /// <exception cref="OutputWriteException">The file system refused (no space, permission...).</exception>
    public void WriteFile(string name, Action<Stream> write)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        AtomicFile.WriteNew(System.IO.Path.Combine(Path, name), write, reportAs: System.IO.Path.Combine(Target, name));
    }

    /// <summary>Writes the file <paramref name="name"/> with <paramref name="bytes"/>.</summary>
    /// <exception cref="OutputWriteException">The file system refused.</exception>
    public void WriteFile(string name, byte[] bytes) => WriteFile(name, stream => stream.Write(bytes));

    /// <summary>Copies the input file <paramref name="source"/> into the folder as <paramref name="name"/>.</summary>
    /// <exception cref="InputValidationException"><paramref name="source"/> cannot be read.</exception>
    /// <exception cref="OutputWriteException">The copy cannot be written.</exception>
    public void CopyFile(string source, string name)
    {
        using var input = InputFiles.OpenRead(source);
        WriteFile(name, output => input.CopyTo(output));
    }

    /// <summary>
    /// Renames the temporary folder to <see cref="Target"/>. An existing target is moved aside first and deleted only after
    /// the new folder is in place; if the rename fails it is moved back.
    /// </summary>
    /// <exception cref="OutputWriteException">A rename failed; the target is as it was.</exception>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        string? previous = Directory.Exists(Target) ? $"{Target}.previous-{Environment.ProcessId}" : null;
        TemporaryOutputs.Publish(() =>
        {
            if (previous is not null)
            {
                AtomicFile.Guard(Target, () => Directory.Move(Target, previous));
                TemporaryOutputs.Register(previous);
            }
            try
            {
                AtomicFile.Guard(Target, () => Directory.Move(Path, Target));
            }
            catch
            {
                if (previous is not null)
                {
                    Directory.Move(previous, Target);
                    TemporaryOutputs.Unregister(previous);
                }
                throw;
            }
            TemporaryOutputs.Unregister(Temporary);
            _committed = true;
        });
        if (previous is not null)
        {
            TemporaryOutputs.Delete(previous);
            TemporaryOutputs.Unregister(previous);
        }
    }

    /// <summary>Removes the temporary folder unless the folder was committed.</summary>
    public void Dispose()
    {
        if (_committed)
            return;
        TemporaryOutputs.Delete(Temporary);
        TemporaryOutputs.Unregister(Temporary);
        _committed = true; // disposed: no further writes
    }
}
