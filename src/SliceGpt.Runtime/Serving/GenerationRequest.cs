namespace SliceGpt.Runtime.Serving;

/// <summary>
/// One completion request: a prompt (text, or token ids when the caller tokenised it, e.g. after a chat template) and
/// how to continue it. Validated by <see cref="InferenceEngine.Submit"/> before it is queued.
/// </summary>
public sealed record GenerationRequest
{
    /// <summary>The prompt text; encoded with BOS when the tokenizer's convention adds one. Exactly one of this and <see cref="PromptTokens"/>.</summary>
    public string? Prompt { get; init; }

    /// <summary>The prompt as token ids, used as they are (include BOS yourself if the model expects it).</summary>
    public IReadOnlyList<int>? PromptTokens { get; init; }

    /// <summary>The most tokens to generate; null: up to the engine's context length.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Strings that end the completion when they appear; the text returned stops before them.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Token ids that end the completion (besides EOS); they are not part of the text.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Keep generating past EOS (until another stop condition).</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>How tokens are chosen.</summary>
    public SamplingParameters Sampling { get; init; } = SamplingParameters.Greedy;
}

/// <summary>
/// How the next token is chosen, in vLLM's order: repetition, presence and frequency penalties on the logits, then the
/// temperature, then top-k, top-p and min-p filters, then a seeded draw. Temperature 0 is greedy (the filters do not matter).
/// </summary>
public sealed record SamplingParameters
{
    /// <summary>Greedy decoding: the most probable token, the lowest id on ties.</summary>
    public static SamplingParameters Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Softmax temperature, ≥ 0; 0 is greedy.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Nucleus mass in (0, 1]; 1 keeps every token.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Keep only the k most probable tokens; 0 keeps all.</summary>
    public int TopK { get; init; }

    /// <summary>Drop tokens whose probability is below min-p times the largest one, in [0, 1]; 0 keeps all.</summary>
    public double MinP { get; init; }

    /// <summary>HF/vLLM repetition penalty, &gt; 0 (1: none): logits of tokens in the prompt or output are divided by it when positive, multiplied when negative.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>OpenAI presence penalty in [−2, 2]: subtracted once from the logit of every token the output already holds.</summary>
    public double PresencePenalty { get; init; }

    /// <summary>OpenAI frequency penalty in [−2, 2]: subtracted from a token's logit once per occurrence in the output.</summary>
    public double FrequencyPenalty { get; init; }

    /// <summary>Seed of the draw; null: one drawn by the engine. The same seed and request give the same text.</summary>
    public ulong? Seed { get; init; }
}
