namespace SliceGpt.Runtime.Evaluation;

/// <summary>Settings of a zero-shot evaluation; the defaults follow lm-evaluation-harness.</summary>
public sealed record EvaluationOptions
{
    /// <summary>
    /// Whether contexts start with BOS. Null (the default) follows the tokenizer's convention
    /// (<see cref="Tokenization.ITokenizer.AddsBosByDefault"/>), as the harness does with <c>add_bos_token=None</c>.
    /// </summary>
    public bool? AddBos { get; init; }

    /// <summary>
    /// The longest model input; longer (context + continuation) requests lose their oldest context tokens. Null (the
    /// default): the model's positions (its sliding window, if smaller). A value above that is an error.
    /// </summary>
    public int? MaxLength { get; init; }

    /// <summary>
    /// Input tokens (rows × padded length) per batched forward. Null (the default) sizes it from the model's width and
    /// vocabulary so that activations and logits of one forward stay within a few hundred MiB.
    /// </summary>
    public int? TokensPerForward { get; init; }

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        if (MaxLength is int m && m < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxLength), m, "must be at least 1");
        if (TokensPerForward is int t && t < 1)
            throw new ArgumentOutOfRangeException(nameof(TokensPerForward), t, "must be at least 1");
    }
}
