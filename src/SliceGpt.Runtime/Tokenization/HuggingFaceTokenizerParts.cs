namespace SliceGpt.Runtime.Tokenization;

/// <summary>How a normalized piece of text is cut into words before BPE.</summary>
internal enum PreTokenizerKind
{
    /// <summary>No pre-tokenizer: the piece is one word (SentencePiece-style BPE).</summary>
    None,

    /// <summary>GPT-2's ByteLevel pre-tokenizer: regex words spelled in the byte alphabet.</summary>
    ByteLevel,
}

/// <summary>An added token: matched in text before BPE, never split.</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool Normalized);

/// <summary>Everything around the BPE model that a <see cref="HuggingFaceTokenizer"/> needs.</summary>
internal sealed record HuggingFaceTokenizerParts(
    TextNormalizer Normalizer,
    PreTokenizerKind PreTokenizer,
    bool AddPrefixSpace,
    bool UseRegex,
    IReadOnlyList<AddedToken> AddedTokens,
    TokenDecoder Decoder,
    int? BosId,
    int? EosId,
    bool AddsBos)
{
    /// <summary>Added tokens matched in the raw text (<c>normalized: false</c>).</summary>
    public AddedTokenMatcher RawAddedTokens { get; } =
        new(AddedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t.Id)));

    /// <summary>Added tokens matched in normalized text (<c>normalized: true</c>).</summary>
    public AddedTokenMatcher NormalizedAddedTokens { get; } =
        new(AddedTokens.Where(t => t.Normalized).Select(t => (t.Content, t.Id)));
}
