using System.Text.Json;
using System.Text.Json.Serialization;
using SliceGpt.Runtime.Serving;

namespace SliceGpt.Server.Protocol;

// OpenAI's response objects, written with snake_case names. Nulls are written (OpenAI writes "logprobs": null,
// "finish_reason": null and, with include_usage, "usage": null on every chunk), except in a chat delta.

internal sealed record UsageBody(int PromptTokens, int CompletionTokens, int TotalTokens)
{
    public static UsageBody From(GenerationUsage usage) => new(usage.PromptTokens, usage.CompletionTokens, usage.TotalTokens);
}

internal sealed record CompletionChoice(string Text, int Index, object? Logprobs, string? FinishReason);

internal sealed record CompletionBody(string Id, string Object, long Created, string Model, IReadOnlyList<CompletionChoice> Choices, UsageBody? Usage);

internal sealed record ChatMessageBody(string Role, string Content);

internal sealed record ChatChoice(int Index, ChatMessageBody Message, object? Logprobs, string? FinishReason);

internal sealed record ChatCompletionBody(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChoice> Choices, UsageBody Usage);

internal sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content);

internal sealed record ChatChunkChoice(int Index, ChatDelta Delta, object? Logprobs, string? FinishReason);

internal sealed record ChatChunkBody(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices, UsageBody? Usage);

internal sealed record ModelBody(string Id, string Object, long Created, string OwnedBy, int MaxModelLen);

internal sealed record ModelListBody(string Object, IReadOnlyList<ModelBody> Data);

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>OpenAI's finish reasons; a cancelled request is never answered (its client is gone or the server is stopping).</summary>
    public static string FinishReason(FinishReason reason) => reason == Runtime.Serving.FinishReason.Length ? "length" : "stop";
}
