using System.Runtime.InteropServices;
using System.Text;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// A Hugging Face BPE model: vocabulary, ranked merges, and what to do with a character that is not in the
/// vocabulary (<c>byte_fallback</c> to <c>&lt;0xNN&gt;</c> pieces, else <c>unk_token</c>, fused when
/// <c>fuse_unk</c>). Encodes one word, which for Llama is the whole normalized text.
/// </summary>
internal sealed class BpeModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<int, int> _codepointIds; // vocabulary entries that are one code point
    private readonly int[]? _byteFallbackIds; // (256) id of <0xNN>, -1 where missing; null without byte_fallback
    private readonly BpeMergeTable _merges;

    /// <summary>Builds the model; <paramref name="merges"/> must already use ids of <paramref name="vocab"/>.</summary>
    public BpeModel(Dictionary<string, int> vocab, BpeMergeTable merges, int? unkId, bool byteFallback, bool fuseUnk, bool ignoreMerges)
    {
        _vocab = vocab;
        _merges = merges;
        UnkId = unkId;
        FuseUnk = fuseUnk;
        IgnoreMerges = ignoreMerges;
        _codepointIds = new Dictionary<int, int>();
        foreach (var (token, id) in vocab)
        {
            if (Rune.DecodeFromUtf16(token, out var rune, out int used) == System.Buffers.OperationStatus.Done && used == token.Length)
                _codepointIds[rune.Value] = id;
        }
        if (byteFallback)
        {
            _byteFallbackIds = new int[256];
            for (int b = 0; b < 256; b++)
                _byteFallbackIds[b] = vocab.GetValueOrDefault($"<0x{b:X2}>", -1);
        }
    }

    /// <summary>The vocabulary, token string to id.</summary>
    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    /// <summary>The id of <c>unk_token</c>, if the model has one.</summary>
    public int? UnkId { get; }

    /// <summary>Whether consecutive unknown characters share one unknown id.</summary>
    public bool FuseUnk { get; }

    /// <summary>Whether a word that is itself a vocabulary entry skips the merges (<c>ignore_merges</c>).</summary>
    public bool IgnoreMerges { get; }

    /// <summary>The id of the single-code-point token <paramref name="value"/>, or -1.</summary>
    public int CodepointId(int value) => _codepointIds.GetValueOrDefault(value, -1);

    /// <summary>Appends the ids of <paramref name="word"/> to <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentException">A character has no id, no byte fallback and no unknown token.</exception>
    public void Encode(ReadOnlySpan<char> word, List<int> output)
    {
        if (word.IsEmpty)
            return;
        if (IgnoreMerges && _vocab.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(word, out int whole))
        {
            output.Add(whole);
            return;
        }

        var symbols = new List<int>(word.Length);
        Span<byte> utf8 = stackalloc byte[4];
        bool previousUnknown = false;
        foreach (var rune in word.EnumerateRunes())
        {
            if (_codepointIds.TryGetValue(rune.Value, out int id))
            {
                symbols.Add(id);
                previousUnknown = false;
                continue;
            }
            if (_byteFallbackIds is not null && TryAddBytes(rune, utf8, symbols))
            {
                previousUnknown = false;
                continue;
            }
            if (UnkId is not int unk)
                throw new UnencodableTextException($"character U+{rune.Value:X4} is not in the tokenizer's vocabulary, and the tokenizer has neither byte fallback nor an unknown token");
            if (!(FuseUnk && previousUnknown))
                symbols.Add(unk);
            previousUnknown = true;
        }
        _merges.Apply(CollectionsMarshal.AsSpan(symbols), output);
    }

    // Byte fallback applies only when every byte of the character has its <0xNN> piece.
    private bool TryAddBytes(Rune rune, Span<byte> utf8, List<int> symbols)
    {
        int count = rune.EncodeToUtf8(utf8);
        for (int i = 0; i < count; i++)
        {
            if (_byteFallbackIds![utf8[i]] < 0)
                return false;
        }
        for (int i = 0; i < count; i++)
            symbols.Add(_byteFallbackIds![utf8[i]]);
        return true;
    }
}
