using System.Text;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Serving;

/// <summary>
/// Turns a sequence's generated tokens into text deltas as they come (vLLM's prefix/read offsets). Each new token is
/// decoded together with a few tokens before it, so SentencePiece's leading spaces and byte-level merges come out as in
/// a whole decode; a delta that would end in an incomplete UTF-8 character (U+FFFD) waits for the next token. Text that
/// may be the start of a stop string is held back until it is known not to be one; a stop string ends the text before it.
/// </summary>
internal sealed class IncrementalDetokenizer
{
    // Tokens of context decoded before the new ones: enough for a space or a multi-byte character to merge.
    private const int ContextTokens = 6;

    private readonly ITokenizer _tokenizer;
    private readonly List<int> _ids;           // the prompt's last tokens, then the output
    private readonly IReadOnlyList<string> _stops;
    private readonly StringBuilder _pending = new();
    private int _prefixOffset, _readOffset;

    public IncrementalDetokenizer(ITokenizer tokenizer, IReadOnlyList<int> prompt, IReadOnlyList<string> stopStrings)
    {
        _tokenizer = tokenizer;
        int context = Math.Min(ContextTokens, prompt.Count);
        _ids = new List<int>(context + 64);
        for (int i = prompt.Count - context; i < prompt.Count; i++)
            _ids.Add(prompt[i]);
        _prefixOffset = 0;
        _readOffset = _ids.Count;
        _stops = stopStrings.Where(s => s.Length > 0).ToArray();
    }

    /// <summary>Adds a generated token; returns the text it releases and whether a stop string ended the completion.</summary>
    public (string Text, bool Stopped) Add(int token)
    {
        _ids.Add(token);
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids);
        string prefix = _tokenizer.Decode(span[_prefixOffset.._readOffset]);
        string text = _tokenizer.Decode(span[_prefixOffset..]);
        if (text.Length > prefix.Length && !text.EndsWith('\uFFFD') && text.StartsWith(prefix, StringComparison.Ordinal))
        {
            _pending.Append(text, prefix.Length, text.Length - prefix.Length);
            _prefixOffset = _readOffset;
            _readOffset = _ids.Count;
        }
        return Release(final: false);
    }

    /// <summary>At the end of the completion: the text still held back (an incomplete character decodes as U+FFFD).</summary>
    public (string Text, bool Stopped) Finish()
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids);
        if (_readOffset < _ids.Count)
        {
            string prefix = _tokenizer.Decode(span[_prefixOffset.._readOffset]);
            string text = _tokenizer.Decode(span[_prefixOffset..]);
            if (text.StartsWith(prefix, StringComparison.Ordinal))
                _pending.Append(text, prefix.Length, text.Length - prefix.Length);
            _readOffset = _ids.Count;
        }
        return Release(final: true);
    }

    private (string, bool) Release(bool final)
    {
        if (_pending.Length == 0)
            return ("", false);
        var pending = _pending.ToString();
        int stopAt = -1;
        foreach (var stop in _stops)
        {
            int at = pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (stopAt < 0 || at < stopAt))
                stopAt = at;
        }
        if (stopAt >= 0)
        {
            _pending.Clear();
            return (pending[..stopAt], true);
        }
        int hold = final ? 0 : HeldBack(pending);
        _pending.Remove(0, pending.Length - hold);
        return (pending[..^hold], false);
    }

    // The longest tail of the pending text that is a proper prefix of a stop string.
    private int HeldBack(string pending)
    {
        int hold = 0;
        foreach (var stop in _stops)
            for (int k = Math.Min(stop.Length - 1, pending.Length); k > hold; k--)
                if (string.CompareOrdinal(pending, pending.Length - k, stop, 0, k) == 0)
                {
                    hold = k;
                    break;
                }
        return hold;
    }
}
