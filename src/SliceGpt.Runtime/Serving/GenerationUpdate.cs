namespace SliceGpt.Runtime.Serving;

/// <summary>Why a completion ended.</summary>
public enum FinishReason
{
    /// <summary>EOS, a stop token id or a stop string.</summary>
    Stop,
    /// <summary>The token limit or the context length.</summary>
    Length,
    /// <summary>The caller cancelled (or disconnected); its KV blocks are free again.</summary>
    Cancelled,
}

/// <summary>Token counts and times of one request.</summary>
/// <param name="PromptTokens">Tokens of the prompt.</param>
/// <param name="CompletionTokens">Tokens generated (a stop token included).</param>
/// <param name="CachedTokens">Prompt tokens whose keys and values were reused rather than computed.</param>
/// <param name="QueueTime">From submission until the request got a slot.</param>
/// <param name="TimeToFirstToken">From submission until the first generated token; null when none was.</param>
/// <param name="Duration">From submission until the end.</param>
public sealed record GenerationUsage(int PromptTokens, int CompletionTokens, int CachedTokens, TimeSpan QueueTime,
    TimeSpan? TimeToFirstToken, TimeSpan Duration)
{
    /// <summary>Prompt and completion tokens.</summary>
    public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>
/// A piece of a streamed completion. The <see cref="Text"/> deltas concatenate to exactly the completion's text: they
/// never split a UTF-8 character, keep SentencePiece's spaces, and hold back text that may be the start of a stop string.
/// The last update carries <see cref="FinishReason"/> and <see cref="Usage"/>.
/// </summary>
/// <param name="Text">New text (may be empty while text is held back).</param>
/// <param name="TokenIds">Tokens generated since the previous update.</param>
/// <param name="FinishReason">Set on the last update only.</param>
/// <param name="Usage">Set on the last update only.</param>
public sealed record GenerationUpdate(string Text, IReadOnlyList<int> TokenIds, FinishReason? FinishReason, GenerationUsage? Usage);

/// <summary>A whole completion.</summary>
/// <param name="Text">The generated text, without the prompt and without a stop string.</param>
/// <param name="TokenIds">The generated tokens.</param>
/// <param name="FinishReason">Why it ended.</param>
/// <param name="Usage">Token counts and times.</param>
/// <param name="Backend">The backend that computed it.</param>
public sealed record GenerationResult(string Text, IReadOnlyList<int> TokenIds, FinishReason FinishReason, GenerationUsage Usage, string Backend);
