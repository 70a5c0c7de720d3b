using System.Collections.Concurrent;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// A Hugging Face BPE tokenizer, read from <c>tokenizer.json</c> or from GPT-2-style <c>vocab.json</c> +
/// <c>merges.txt</c>. Two families are supported: SentencePiece-style BPE with byte fallback (Llama 2, Phi-3:
/// the whole normalized text is one BPE sequence) and byte-level BPE (GPT-2, OPT, Phi-2: regex words, each
/// spelled in GPT-2's byte alphabet).
/// </summary>
/// <remarks>
/// Encoding follows the Hugging Face pipeline: added tokens that are not normalized are split out of the raw
/// text; each remaining piece is normalized and split on the normalized added tokens; each remaining piece
/// is pre-tokenized and encoded by the BPE model; the post-processor's BOS is prepended when asked.
/// </remarks>
public sealed class HuggingFaceTokenizer : ITokenizer
{
    private const int WordCacheCapacity = 100_000;

    private readonly BpeModel _model;
    private readonly HuggingFaceTokenizerParts _parts;
    private readonly string?[] _tokenOfId; // (VocabSize) null for ids that no entry uses
    private readonly bool[] _isSpecial; // (VocabSize) special added tokens, dropped by Decode
    // Byte-level words repeat (" the", ","), and merging is the costly step; bounded so that no input can
    // grow it without limit, as Hugging Face's own word cache.
    private readonly ConcurrentDictionary<string, int[]> _wordCache = new(StringComparer.Ordinal);
    private int _cachedWords; // ConcurrentDictionary.Count takes every lock, so the bound is counted here

    internal HuggingFaceTokenizer(BpeModel model, HuggingFaceTokenizerParts parts)
    {
        _model = model;
        _parts = parts;
        int size = Math.Max(model.Vocab.Values.DefaultIfEmpty(-1).Max(), parts.AddedTokens.Select(t => t.Id).DefaultIfEmpty(-1).Max()) + 1;
        _tokenOfId = new string?[size];
        _isSpecial = new bool[size];
        foreach (var (token, id) in model.Vocab)
            _tokenOfId[id] = token;
        foreach (var added in parts.AddedTokens)
        {
            _tokenOfId[added.Id] = added.Content;
            _isSpecial[added.Id] = added.Special;
        }
    }

    /// <inheritdoc />
    public int VocabSize => _tokenOfId.Length;

    /// <inheritdoc />
    public int? BosId => _parts.BosId;

    /// <inheritdoc />
    public int? EosId => _parts.EosId;

    /// <inheritdoc />
    public bool AddsBosByDefault => _parts.AddsBos;

    /// <summary>Whether this is byte-level BPE (GPT-2 family) rather than SentencePiece-style BPE.</summary>
    public bool IsByteLevel => _parts.PreTokenizer == PreTokenizerKind.ByteLevel;

    /// <summary>The token string of <paramref name="id"/> as the vocabulary spells it (e.g. "Ġthe", "▁the").</summary>
    public string Token(int id) => (uint)id < (uint)_tokenOfId.Length && _tokenOfId[id] is { } token
        ? token
        : throw new ArgumentOutOfRangeException(nameof(id), $"id {id} is not in the vocabulary of {_tokenOfId.Length}");

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException"><paramref name="addBos"/> is true but the tokenizer has no BOS.</exception>
    /// <exception cref="ArgumentException">A character is not in a vocabulary that has neither byte fallback nor an
    /// unknown token (never for byte-level BPE, which spells every byte).</exception>
    public int[] Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 3 + 1);
        if (addBos)
            output.Add(BosId ?? throw new InvalidOperationException("this tokenizer has no BOS token"));

        for (int start = 0; ;)
        {
            if (!_parts.RawAddedTokens.TryFind(text, start, out int index, out int length, out int id))
                index = text.Length;
            if (index > start)
                EncodeNormalized(_parts.Normalizer.Apply(text[start..index]), output);
            if (index == text.Length)
                break;
            output.Add(id);
            start = index + length;
        }
        return [.. output];
    }

    /// <inheritdoc />
    /// <remarks>Special added tokens (BOS, EOS, unk ...) are dropped; ordinary added tokens are kept.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">An id that no token uses.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var tokens = new List<string>(ids.Length);
        foreach (int id in ids)
        {
            var token = Token(id);
            if (!_isSpecial[id])
                tokens.Add(token);
        }
        return _parts.Decoder.Decode(tokens);
    }

    private void EncodeNormalized(string text, List<int> output)
    {
        for (int start = 0; ;)
        {
            if (!_parts.NormalizedAddedTokens.TryFind(text, start, out int index, out int length, out int id))
                index = text.Length;
            if (index > start)
                EncodeSegment(text.AsSpan(start, index - start), output);
            if (index == text.Length)
                break;
            output.Add(id);
            start = index + length;
        }
    }

    private void EncodeSegment(ReadOnlySpan<char> segment, List<int> output)
    {
        if (_parts.PreTokenizer == PreTokenizerKind.None)
        {
            _model.Encode(segment, output);
            return;
        }
        if (_parts.AddPrefixSpace && segment[0] != ' ')
            segment = string.Concat(" ", segment);
        if (!_parts.UseRegex)
        {
            EncodeWord(segment, output);
            return;
        }
        for (int start = 0; start < segment.Length;)
        {
            int end = GptPreTokenizer.WordEnd(segment, start);
            EncodeWord(segment[start..end], output);
            start = end;
        }
    }

    private void EncodeWord(ReadOnlySpan<char> word, List<int> output)
    {
        var cache = _wordCache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!cache.TryGetValue(word, out var ids))
        {
            var fresh = new List<int>(word.Length);
            _model.Encode(ByteLevelAlphabet.Spell(word), fresh);
            ids = [.. fresh];
            if (Volatile.Read(ref _cachedWords) < WordCacheCapacity && cache.TryAdd(word, ids))
                Interlocked.Increment(ref _cachedWords);
        }
        output.AddRange(ids);
    }
}
