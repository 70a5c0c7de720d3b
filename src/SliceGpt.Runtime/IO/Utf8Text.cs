using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace SliceGpt.Runtime.IO;

/// <summary>Text inputs (calibration and evaluation corpora) are UTF-8; anything else is refused with the offending byte offset.</summary>
public static class Utf8Text
{
    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>Reads <paramref name="path"/> as strict UTF-8 (a leading byte order mark is skipped).</summary>
    /// <exception cref="InputValidationException">Missing or unreadable, or not UTF-8: the message gives the byte offset of the first invalid sequence.</exception>
    public static string Read(string path) => Decode(path, InputFiles.ReadAllBytes(path));

    /// <summary>The offset of the first byte that does not start a valid UTF-8 sequence, or −1 when all of it is valid.</summary>
    public static int IndexOfInvalid(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
            return -1;
        int offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out int consumed) != OperationStatus.Done)
                return offset;
            offset += consumed;
        }
        return -1;
    }

    /// <summary>Checks that <paramref name="bytes"/> (a JSON file, say) are UTF-8 before a parser that would fail later, untyped.</summary>
    /// <exception cref="InputValidationException">Invalid UTF-8; the message gives the byte offset.</exception>
    public static void RequireValid(string path, ReadOnlySpan<byte> bytes, long baseOffset = 0)
    {
        int bad = IndexOfInvalid(bytes);
        if (bad >= 0)
            throw new InputValidationException(path, $"byte offset {baseOffset + bad}", $"not valid UTF-8 (byte 0x{bytes[bad]:X2})");
    }

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
