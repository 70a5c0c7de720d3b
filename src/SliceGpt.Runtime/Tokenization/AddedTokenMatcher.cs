using System.Buffers;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// Finds added tokens (special tokens, Phi-2's whitespace runs) in text, leftmost first and, among those
/// starting at the same place, longest first, as Hugging Face's Aho-Corasick "leftmost longest" search.
/// Matched tokens bypass BPE; the text between them is tokenized normally.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, (string Content, int Id)[]> _byFirstChar; // each longest first
    private readonly SearchValues<char> _firstChars;

    /// <summary>Builds a matcher for <paramref name="tokens"/> (content, id); empty contents are ignored.</summary>
    public AddedTokenMatcher(IEnumerable<(string Content, int Id)> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        _firstChars = SearchValues.Create([.. _byFirstChar.Keys]);
    }

    /// <summary>Whether there is nothing to match.</summary>
    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>
    /// Finds the first match at or after <paramref name="start"/>; returns false when there is none.
    /// </summary>
    public bool TryFind(ReadOnlySpan<char> text, int start, out int index, out int length, out int id)
    {
        int from = start;
        while (from < text.Length)
        {
            int offset = text[from..].IndexOfAny(_firstChars);
            if (offset < 0)
                break;
            int at = from + offset;
            foreach (var (content, tokenId) in _byFirstChar[text[at]])
            {
                if (text[at..].StartsWith(content, StringComparison.Ordinal))
                {
                    (index, length, id) = (at, content.Length, tokenId);
                    return true;
                }
            }
            from = at + 1;
        }
        index = length = id = 0;
        return false;
    }
}
