using System.Buffers;
using System.Text.Unicode;

namespace SliceGpt.Runtime.IO;

/// <summary>Text inputs (calibration and evaluation corpora) are UTF-8; anything else is refused with the offending byte offset.</summary>
public static class Utf8Text
{
    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>Reads <paramref name="path"/> as strict UTF-8 (a leading byte order mark is skipped).</summary>
    /// <exception cref="InputValidationException">Missing or unreadable, or not UTF-8: the message gives the byte offset of the first invalid sequence.</exception>
    public static string Read(string path) => Decode(path, InputFiles.ReadAllBytes(path));

    /// <summary>Decodes <paramref name="bytes"/> (the content of <paramref name="path"/>) as strict UTF-8.</summary>
    /// <exception cref="InputValidationException">Not UTF-8; the message gives the byte offset of the first invalid sequence.</exception>
    public static string Decode(string path, ReadOnlySpan<byte> bytes)
    {
        int start = bytes.StartsWith(ByteOrderMark) ? ByteOrderMark.Length : 0;
        var content = bytes[start..];
        var chars = new char[content.Length]; // UTF-16 never needs more units than UTF-8 has bytes
        var status = Utf8.ToUtf16(content, chars, out int read, out int written, replaceInvalidSequences: false, isFinalBlock: true);
        if (status != OperationStatus.Done)
        {
            long offset = start + read;
            var shown = bytes.Slice((int)offset, Math.Min(4, bytes.Length - (int)offset)).ToArray();
            throw new InputValidationException(path, $"byte offset {offset}",
                $"not valid UTF-8 (bytes {string.Join(" ", shown.Select(b => $"0x{b:X2}"))}); the text must be UTF-8");
        }
        return new string(chars, 0, written);
    }
}
