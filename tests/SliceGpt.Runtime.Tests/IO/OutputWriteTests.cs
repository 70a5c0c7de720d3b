using SliceGpt.Runtime.IO;
using SliceGpt.Runtime.Tests.Support;

namespace SliceGpt.Runtime.Tests.IO;

/// <summary>Atomic files and staged folders: complete or absent, never half-written; a replaced output survives a failure.</summary>
[NonParallelizable] // replaces the process-wide output seams
public class OutputWriteTests
{
    [TearDown]
    public void RestoreFileSystem() => OutputFiles.Reset();

    [Test]
    public void AtomicFile_ReplacesTheTarget_AndLeavesNoTemporaryFile()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir["f.bin"], "old");
        AtomicFile.Write(dir["f.bin"], [1, 2, 3]);
        Assert.That(File.ReadAllBytes(dir["f.bin"]), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(Directory.GetFileSystemEntries(dir.Path), Is.EqualTo(new[] { dir["f.bin"] }));
    }

    [Test]
    public void AtomicFile_FailingMidWrite_LeavesTheOldFileAndNothingElse()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir["f.bin"], "old");
        OutputFiles.Create = path => new ThrowingAfterCreate(new FileStream(path, FileMode.CreateNew));
        var e = Assert.Throws<OutputWriteException>(() => AtomicFile.Write(dir["f.bin"], new byte[100]))!;
        Assert.That((e.Path, e.Reason), Is.EqualTo((dir["f.bin"], "No space left on device")));
        Assert.That(File.ReadAllText(dir["f.bin"]), Is.EqualTo("old"));
        Assert.That(Directory.GetFileSystemEntries(dir.Path), Is.EqualTo(new[] { dir["f.bin"] }));
    }

    [Test]
    public void StagedFolder_IsInvisibleUntilCommitted_AndCreatesMissingParents()
    {
        using var dir = new TempFolder();
        var target = Path.Combine(dir["a"], "b", "out");
        using (var folder = StagedFolder.Create(target))
        {
            folder.WriteFile("x.txt", "hello"u8.ToArray());
            Assert.That(Directory.Exists(target), Is.False);
            folder.Commit();
        }
        Assert.That(File.ReadAllText(Path.Combine(target, "x.txt")), Is.EqualTo("hello"));
        Assert.That(Directory.GetFileSystemEntries(Path.GetDirectoryName(target)!), Is.EqualTo(new[] { target }));
    }

    [Test]
    public void StagedFolder_Abandoned_RemovesItsFolderAndTheParentsItCreated()
    {
        using var dir = new TempFolder();
        using (var folder = StagedFolder.Create(Path.Combine(dir["a"], "b", "out")))
            folder.WriteFile("x.txt", "hello"u8.ToArray());
        Assert.That(Directory.GetFileSystemEntries(dir.Path), Is.Empty);
    }

    [Test]
    public void StagedFolder_ReplacesAnExistingFolderOnlyOnCommit()
    {
        using var dir = new TempFolder();
        var target = dir["out"];
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "old.txt"), "old");
        using (var folder = StagedFolder.Create(target))
        {
            folder.WriteFile("new.txt", "new"u8.ToArray());
            Assert.That(File.Exists(Path.Combine(target, "old.txt")), "the previous output stays until the commit");
            folder.Commit();
        }
        Assert.That(Directory.GetFiles(target).Select(Path.GetFileName), Is.EqualTo(new[] { "new.txt" }));
        Assert.That(Directory.GetFileSystemEntries(dir.Path), Is.EqualTo(new[] { target }), "no .previous or .partial folder left");
    }

    [Test]
    public void OutputLocation_RefusesTooLittleSpace_AndAFileOnThePath_WithoutWritingAnything()
    {
        using var dir = new TempFolder();
        OutputFiles.FreeBytes = _ => 1000;
        var e = Assert.Throws<OutputWriteException>(() => OutputLocation.Check(dir["out"], 5000))!;
        Assert.That(e.Message, Does.Contain(dir["out"]).And.Contain("not enough free space").And.Contain("5000 bytes").And.Contain("1000 bytes"));
        File.WriteAllText(dir["file"], "x");
        OutputFiles.Reset();
        var underFile = Path.Combine(dir["file"], "sub", "out");
        Assert.That(Assert.Throws<OutputWriteException>(() => OutputLocation.Check(underFile, 0))!.Reason, Is.EqualTo($"{dir["file"]} is a file, not a folder"));
        Assert.That(Directory.GetFileSystemEntries(dir.Path), Is.EqualTo(new[] { dir["file"] }));
    }

    // A stream that accepts nothing: the first write fails as a full disk does.
    private sealed class ThrowingAfterCreate(FileStream file) : Stream
    {
        public override void Write(byte[] buffer, int offset, int count) => throw new IOException($"No space left on device : '{file.Name}'", 28);

        public override void Flush() => file.Flush();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => 0;

        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                file.Dispose();
            base.Dispose(disposing);
        }
    }
}
