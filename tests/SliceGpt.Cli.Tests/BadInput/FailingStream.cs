namespace SliceGpt.Cli.Tests.BadInput;

/// <summary>
/// A new file that fails as a full disk does once <paramref name="capacity"/> bytes are written: the bytes up to the
/// capacity reach the file, then an IOException with ENOSPC's message and code, as .NET raises it on Linux.
/// </summary>
internal sealed class FailingStream(string path, long capacity) : Stream
{
    private const int Enospc = 28;
    private readonly FileStream _file = new(path, FileMode.CreateNew, FileAccess.Write);
    private long _written;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_written + buffer.Length > capacity)
        {
            _file.Write(buffer[..(int)(capacity - _written)]);
            _written = capacity;
            throw new IOException($"No space left on device : '{_file.Name}'", Enospc);
        }
        _file.Write(buffer);
        _written += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush() => _file.Flush();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _written;

    public override long Position { get => _written; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _file.Dispose();
        base.Dispose(disposing);
    }
}
