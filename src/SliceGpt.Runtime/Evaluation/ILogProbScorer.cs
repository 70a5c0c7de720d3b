namespace SliceGpt.Runtime.Evaluation;

/// <summary>
/// One context and the continuations scored after it. Every continuation's model input, the context followed by all
/// but the last continuation token, fits the scorer: <c>Context.Length + continuation.Length − 1 ≤ MaxLength</c>
/// (the planner truncates contexts from the left to guarantee it).
/// </summary>
/// <param name="Context">The context's tokens, at least one.</param>
/// <param name="Continuations">The continuations, each at least one token.</param>
internal readonly record struct ContextGroup(ReadOnlyMemory<int> Context, ReadOnlyMemory<int>[] Continuations);

/// <summary>A continuation's score.</summary>
/// <param name="LogProb">Sum over its tokens of log p(token | everything before it).</param>
/// <param name="IsGreedy">Whether every one of its tokens is the argmax of its position's logits (lm-evaluation-harness's exact match).</param>
internal readonly record struct ContinuationScore(double LogProb, bool IsGreedy);

/// <summary>
/// The one place where zero-shot evaluation touches a model: sums of continuation log-probabilities for a batch of
/// context groups. Everything else (tasks, tokenization, truncation, batching, metrics) is model-free.
/// </summary>
/// <remarks>
/// Grouping lets an implementation run each context once and share its KV cache among the continuations (prefill the
/// context, copy its cache to one row per continuation, run the continuations, log-softmax and gather on the device).
/// <see cref="SessionScorer"/> does that; <see cref="HostLogitsScorer"/>, the reference it is tested against, runs every
/// (context, continuation) as its own row through the sessions' full-logits surface.
/// </remarks>
internal interface ILogProbScorer : IDisposable
{
    /// <summary>The backend that computes the scores, for the result.</summary>
    string Backend { get; }

    /// <summary>The longest model input a request may have: context + continuation − 1 tokens.</summary>
    int MaxLength { get; }

    /// <summary>
    /// How many input tokens (rows × padded length) one <see cref="Score"/> call should carry to keep the device busy;
    /// the planner cuts its batches by this.
    /// </summary>
    int TokensPerCall { get; }

    /// <summary>Scores <paramref name="groups"/>: one entry of <paramref name="scores"/> per continuation, in group order.</summary>
    void Score(ReadOnlySpan<ContextGroup> groups, Span<ContinuationScore> scores);
}
