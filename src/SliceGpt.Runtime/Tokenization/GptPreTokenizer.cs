using System.Globalization;
using System.Text;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// GPT-2's pre-tokenizer: splits text into the words that byte-level BPE encodes one by one, exactly as the
/// regular expression <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>.
/// </summary>
/// <remarks>
/// A small hand-written scanner for this one pattern rather than <see cref="System.Text.RegularExpressions.Regex"/>:
/// .NET's regex classifies UTF-16 code units, so a letter or digit outside the Basic Multilingual Plane
/// (a surrogate pair such as 𝐀, U+1D400) would fall into <c>[^\s\p{L}\p{N}]</c> and split a word that Python's
/// <c>regex</c>, Oniguruma (Hugging Face) and JavaScript's <c>/u</c> (tiktoken) keep whole. Here classes are
/// taken per code point. <c>\s</c> is Unicode White_Space, which <see cref="Rune.IsWhiteSpace"/> implements and
/// which includes U+00A0 (no-break space), as in those engines. Scanning also avoids a regex match object
/// per word. The tests check the scanner against the regex on real text.
/// </remarks>
internal static class GptPreTokenizer
{
    private enum CharClass { Letter, Number, WhiteSpace, Other }

    /// <summary>Returns the end (exclusive) of the word that starts at <paramref name="start"/>.</summary>
    public static int WordEnd(ReadOnlySpan<char> text, int start)
    {
        if (text[start] == '\'' && ContractionLength(text[(start + 1)..]) is > 0 and var suffix)
            return start + 1 + suffix;

        var first = ClassAt(text, start, out int firstLength);
        int runStart = start;
        var runClass = first;
        // " ?X+": a single ASCII space may lead a run of letters, numbers or other symbols.
        if (text[start] == ' ' && start + 1 < text.Length)
        {
            var following = ClassAt(text, start + 1, out _);
            if (following != CharClass.WhiteSpace)
            {
                runStart = start + 1;
                runClass = following;
            }
        }
        if (runClass != CharClass.WhiteSpace)
            return RunEnd(text, runStart, runClass);

        // "\s+(?!\S)|\s+": a whitespace run, less its last character when a non-space follows, so that the
        // last space can lead the next word; a single whitespace character before a non-space stands alone.
        int end = start + firstLength, lastStart = start;
        while (end < text.Length && ClassAt(text, end, out int length) == CharClass.WhiteSpace)
        {
            lastStart = end;
            end += length;
        }
        return end == text.Length || lastStart == start ? end : lastStart;
    }

    /// <summary>Splits <paramref name="text"/> into words, for tests and diagnostics.</summary>
    public static List<string> Split(string text)
    {
        var words = new List<string>();
        for (int start = 0; start < text.Length;)
        {
            int end = WordEnd(text, start);
            words.Add(text[start..end]);
            start = end;
        }
        return words;
    }

    // The contraction alternatives are case-sensitive ('s but not 'S), as in GPT-2's pattern.
    private static int ContractionLength(ReadOnlySpan<char> rest)
    {
        if (rest.Length >= 2 && rest[..2] is "re" or "ve" or "ll")
            return 2;
        return rest.Length >= 1 && rest[0] is 's' or 't' or 'm' or 'd' ? 1 : 0;
    }

    private static int RunEnd(ReadOnlySpan<char> text, int start, CharClass runClass)
    {
        int end = start;
        while (end < text.Length && ClassAt(text, end, out int length) == runClass)
            end += length;
        return end;
    }

    private static CharClass ClassAt(ReadOnlySpan<char> text, int index, out int length)
    {
        char c = text[index];
        if (c < 0x80)
        {
            length = 1;
            // Fast path for ASCII, which is almost all of English text.
            if (char.IsAsciiLetter(c))
                return CharClass.Letter;
            if (char.IsAsciiDigit(c))
                return CharClass.Number;
            return c is ' ' or (>= '\t' and <= '\r') ? CharClass.WhiteSpace : CharClass.Other;
        }
        // A lone surrogate decodes as U+FFFD (a symbol), the character its UTF-8 encoding will spell.
        Rune.DecodeFromUtf16(text[index..], out var rune, out length);
        if (Rune.IsWhiteSpace(rune))
            return CharClass.WhiteSpace;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Number,
            _ => CharClass.Other,
        };
    }
}
