using Microsoft.AspNetCore.Http;
using SliceGpt.Extensions.AI;
using SliceGpt.Runtime.Serving;

namespace SliceGpt.Server.Protocol;

/// <summary>
/// An error answered in OpenAI's shape, <c>{"error": {"message", "type", "param", "code"}}</c>, with its HTTP status:
/// 400 invalid request (code <c>context_length_exceeded</c> when the prompt and max_tokens do not fit), 404 unknown model
/// or endpoint, 429 the engine's queue is full, 500 an engine failure, 503 the server is shutting down.
/// </summary>
internal sealed class OpenAIException(int status, string type, string message, string? param = null, string? code = null) : Exception(message)
{
    public int Status { get; } = status;

    public string Type { get; } = type;

    public string? Param { get; } = param;

    public string? Code { get; } = code;

    public static OpenAIException Invalid(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, "invalid_request_error", message, param, code);

    public static OpenAIException ShuttingDown() =>
        new(StatusCodes.Status503ServiceUnavailable, "server_error", "the server is shutting down; retry on another instance or later", null, "unavailable");

    /// <summary>The OpenAI error for an exception from parsing, the template or the engine.</summary>
    public static OpenAIException From(Exception e) => e switch
    {
        OpenAIException known => known,
        GenerationRejectedException { Kind: RejectionKind.Overloaded } r =>
            new(StatusCodes.Status429TooManyRequests, "rate_limit_error", r.Message, r.Parameter, "queue_full"),
        GenerationRejectedException { Kind: RejectionKind.ContextLengthExceeded } r => Invalid(r.Message, r.Parameter, "context_length_exceeded"),
        GenerationRejectedException r => Invalid(r.Message, r.Parameter),
        ChatTemplateException { RaisedByTemplate: true } t => Invalid($"the model's chat template refused the messages: {t.Reason}", "messages"),
        ChatTemplateException t => new(StatusCodes.Status500InternalServerError, "server_error", $"the chat template failed: {t.Message}", null, "chat_template_error"),
        ObjectDisposedException => ShuttingDown(),
        _ => new(StatusCodes.Status500InternalServerError, "server_error", $"internal error: {e.GetType().Name}: {e.Message}", null, "internal_error"),
    };

    public object Body => new { error = new { message = Message, type = Type, param = Param, code = Code } };
}
