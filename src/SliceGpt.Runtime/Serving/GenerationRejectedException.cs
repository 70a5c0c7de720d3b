namespace SliceGpt.Runtime.Serving;

/// <summary>Why the engine refused a request; a server maps each to an HTTP status.</summary>
public enum RejectionKind
{
    /// <summary>A malformed request (400).</summary>
    InvalidRequest,
    /// <summary>The prompt and the tokens asked for do not fit the context (400, code context_length_exceeded).</summary>
    ContextLengthExceeded,
    /// <summary>The queue is full (429): retry later.</summary>
    Overloaded,
}

/// <summary>A request refused before its first token, with the parameter at fault.</summary>
public sealed class GenerationRejectedException(RejectionKind kind, string message, string? parameter = null) : Exception(message)
{
    /// <summary>Why.</summary>
    public RejectionKind Kind { get; } = kind;

    /// <summary>The request field at fault (OpenAI's names: "max_tokens", "temperature", …), when one is.</summary>
    public string? Parameter { get; } = parameter;
}
