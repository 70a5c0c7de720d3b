namespace SliceGpt.Runtime.Serving;

/// <summary>Limits of an <see cref="InferenceEngine"/>.</summary>
public sealed record EngineOptions
{
    /// <summary>Sequences decoded together (the batch of a decode step).</summary>
    public int MaxConcurrentSequences { get; init; } = 16;

    /// <summary>Positions per sequence, prompt and completion together; null: the model's.</summary>
    public int? MaxContext { get; init; }

    /// <summary>Requests waiting for a slot beyond which new ones are refused as overloaded.</summary>
    public int MaxQueuedRequests { get; init; } = 256;

    /// <summary>Tokens one step may run: every decoding sequence's next token, then chunks of waiting prompts.</summary>
    public int MaxTokensPerStep { get; init; } = 256;

    /// <summary>Positions per KV-cache block when the backend pages its cache; null: 16.</summary>
    public int? KvBlockSize { get; init; }

    /// <summary>KV-cache blocks in the pool; null: enough for every sequence at the full context.</summary>
    public int? KvBlocks { get; init; }

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A field out of range, named.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentSequences, 1, nameof(MaxConcurrentSequences));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedRequests, 0, nameof(MaxQueuedRequests));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTokensPerStep, 1, nameof(MaxTokensPerStep));
        if (MaxContext is int context && context < 2)
            throw new ArgumentOutOfRangeException(nameof(MaxContext), context, "a context holds at least 2 positions");
        if (KvBlockSize is int size && size < 1)
            throw new ArgumentOutOfRangeException(nameof(KvBlockSize), size, "a block holds at least one position");
        if (KvBlocks is int blocks && blocks < 1)
            throw new ArgumentOutOfRangeException(nameof(KvBlocks), blocks, "the pool needs at least one block");
    }
}
