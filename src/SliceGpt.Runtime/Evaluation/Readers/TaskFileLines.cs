using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace SliceGpt.Runtime.Evaluation.Readers;

/// <summary>
/// The lines of a task file, each decoded as strict UTF-8 so that an invalid byte is reported with its line number.
/// A leading byte-order mark is skipped, <c>\r\n</c> ends a line like <c>\n</c>, and the empty piece after a final
/// newline is not a line.
/// </summary>
internal static class TaskFileLines
{
    /// <summary>Reads <paramref name="path"/> line by line.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TaskFileException">A line is not valid UTF-8.</exception>
    public static IEnumerable<(int Number, string Text)> Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such file", path);
        var bytes = File.ReadAllBytes(path);
        int start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        for (int number = 1; start < bytes.Length; number++)
        {
            int newline = Array.IndexOf(bytes, (byte)'\n', start);
            int end = newline < 0 ? bytes.Length : newline;
            int length = end - start;
            if (length > 0 && bytes[end - 1] == '\r')
                length--;
            yield return (number, Decode(path, number, bytes.AsSpan(start, length)));
            start = end + 1;
        }
    }

    private static string Decode(string path, int number, ReadOnlySpan<byte> line) => Utf8.IsValid(line)
        ? Encoding.UTF8.GetString(line)
        : throw new TaskFileException(path, number, $"not valid UTF-8 (byte {InvalidByte(line)} of the line)");

    // 1-based position of the first byte that starts no valid UTF-8 sequence.
    private static int InvalidByte(ReadOnlySpan<byte> line)
    {
        int offset = 0;
        while (offset < line.Length && Rune.DecodeFromUtf8(line[offset..], out _, out int used) == OperationStatus.Done)
            offset += used;
        return offset + 1;
    }
}
