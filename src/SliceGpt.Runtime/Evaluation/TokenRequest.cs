using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Evaluation;

/// <summary>One choice as tokens: the context and the continuation whose log-probabilities are summed.</summary>
/// <param name="Context">The context's tokens (BOS first when the tokenizer adds one). Choices that share a context share this array.</param>
/// <param name="Continuation">The scored tokens; never empty.</param>
internal readonly record struct TokenRequest(int[] Context, int[] Continuation)
{
    /// <summary>
    /// Tokenizes the requests of one task as lm-evaluation-harness does for a causal model (<c>_encode_pair</c>):
    /// trailing whitespace of the context moves to the continuation; the continuation's tokens are those of
    /// <c>context + continuation</c> after the first <c>len(tokens(context))</c>, so a token that merges across the
    /// boundary is scored as part of the continuation while the model is fed the context's own tokens; an empty
    /// context becomes the prefix token (BOS, else EOS). Equal contexts are tokenized once and share one array.
    /// </summary>
    /// <exception cref="ArgumentException">A continuation has no tokens of its own, or an empty context meets a tokenizer with neither BOS nor EOS.</exception>
    public static TokenRequest[] Encode(ITokenizer tokenizer, bool addBos, IReadOnlyList<TextRequest> requests)
    {
        var result = new TokenRequest[requests.Count];
        string? lastContext = null;
        int[]? lastTokens = null;
        for (int i = 0; i < requests.Count; i++)
        {
            var (context, continuation) = MoveTrailingWhitespace(requests[i].Context, requests[i].Continuation);
            if (context.Length == 0)
            {
                result[i] = EmptyContext(tokenizer, continuation);
                continue;
            }
            if (!ReferenceEquals(context, lastContext) && context != lastContext)
                (lastContext, lastTokens) = (context, tokenizer.Encode(context, addBos));
            var whole = tokenizer.Encode(context + continuation, addBos);
            if (whole.Length <= lastTokens!.Length)
                throw new ArgumentException($"the continuation \"{continuation}\" adds no tokens to its context \"{Abbreviate(context)}\"");
            result[i] = new TokenRequest(lastTokens, whole[lastTokens.Length..]);
        }
        return result;
    }

    private static (string Context, string Continuation) MoveTrailingWhitespace(string context, string continuation)
    {
        int kept = context.TrimEnd().Length;
        return kept == context.Length ? (context, continuation) : (context[..kept], context[kept..] + continuation);
    }

    // lm-evaluation-harness conditions an empty context on the prefix token, unless the continuation already starts with it.
    private static TokenRequest EmptyContext(ITokenizer tokenizer, string continuation)
    {
        int prefix = tokenizer.BosId ?? tokenizer.EosId
            ?? throw new ArgumentException("an empty context needs a BOS or EOS token, and the tokenizer has neither");
        var tokens = tokenizer.Encode(continuation, addBos: false);
        if (tokens.Length > 0 && tokens[0] == prefix)
            return tokens.Length > 1
                ? new TokenRequest(tokens[..1], tokens[1..])
                : throw new ArgumentException($"the continuation \"{continuation}\" is only the prefix token");
        if (tokens.Length == 0)
            throw new ArgumentException("an empty continuation after an empty context has nothing to score");
        return new TokenRequest([prefix], tokens);
    }

    private static string Abbreviate(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
