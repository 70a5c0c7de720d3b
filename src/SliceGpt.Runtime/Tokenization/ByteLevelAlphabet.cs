using System.Text;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-character map (<c>bytes_to_unicode</c>): byte-level BPE vocabularies spell every
/// byte as one printable character, so that token strings never hold spaces or control characters.
/// </summary>
/// <remarks>
/// The 188 bytes that are printable Latin-1 (<c>!</c>..<c>~</c>, <c>¡</c>..<c>¬</c>, <c>®</c>..<c>ÿ</c>) stand
/// for themselves; the other 68 take U+0100, U+0101 ... in byte order. So space is <c>Ġ</c> (U+0120),
/// <c>\n</c> is <c>Ċ</c> and <c>\t</c> is <c>ĉ</c>.
/// </remarks>
internal static class ByteLevelAlphabet
{
    private static readonly char[] CharOfByte = BuildCharOfByte(); // (256)
    private static readonly short[] ByteOfChar = BuildByteOfChar(); // (0x200) -1 where no byte maps there

    /// <summary>The character that spells <paramref name="b"/>.</summary>
    public static char ToChar(byte b) => CharOfByte[b];

    /// <summary>The byte <paramref name="c"/> spells, or -1 when it is not in the alphabet.</summary>
    public static int ToByte(char c) => c < ByteOfChar.Length ? ByteOfChar[c] : -1;

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, each spelled as its alphabet character.</summary>
    public static string Spell(ReadOnlySpan<char> text)
    {
        int count = Encoding.UTF8.GetByteCount(text);
        Span<byte> bytes = count <= 256 ? stackalloc byte[count] : new byte[count];
        Encoding.UTF8.GetBytes(text, bytes);
        Span<char> chars = count <= 256 ? stackalloc char[count] : new char[count];
        for (int i = 0; i < count; i++)
            chars[i] = CharOfByte[bytes[i]];
        return new string(chars);
    }

    /// <summary>
    /// Appends the bytes <paramref name="token"/> spells to <paramref name="bytes"/>. A token with any character
    /// outside the alphabet (an added token such as Phi-2's raw space runs) contributes its own UTF-8 bytes,
    /// as Hugging Face's ByteLevel decoder does.
    /// </summary>
    public static void AppendBytes(string token, List<byte> bytes)
    {
        foreach (char c in token)
        {
            if (ToByte(c) < 0)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
                return;
            }
        }
        foreach (char c in token)
            bytes.Add((byte)ToByte(c));
    }

    private static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static char[] BuildCharOfByte()
    {
        var map = new char[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++)
            map[b] = IsPrintable(b) ? (char)b : (char)(0x100 + shifted++);
        return map;
    }

    private static short[] BuildByteOfChar()
    {
        var inverse = new short[0x200];
        Array.Fill(inverse, (short)-1);
        for (int b = 0; b < 256; b++)
            inverse[CharOfByte[b]] = (short)b; // CharOfByte is declared, so initialised, first
        return inverse;
    }
}
