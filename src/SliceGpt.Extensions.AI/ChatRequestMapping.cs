using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SliceGpt.Runtime.Serving;

namespace SliceGpt.Extensions.AI;

/// <summary>
/// Maps <see cref="ChatMessage"/>s and <see cref="ChatOptions"/> onto an engine request. Every option is either honoured
/// or refused with a <see cref="NotSupportedException"/> that names it; none is silently dropped, except the two that only
/// grant permission (<see cref="ChatOptions.AllowBackgroundResponses"/>, <see cref="ChatOptions.AllowMultipleToolCalls"/>)
/// and <see cref="ChatOptions.Reasoning"/>, a best-effort hint a model without a reasoning mode cannot act on.
/// </summary>
internal static class ChatRequestMapping
{
    /// <summary>The conversation as the template sees it; <see cref="ChatOptions.Instructions"/> become a leading system message.</summary>
    public static List<ChatTurn> ToTurns(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turns = new List<ChatTurn>();
        if (options?.Instructions is { Length: > 0 } instructions)
            turns.Add(new ChatTurn("system", instructions));
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            if (message.Role == ChatRole.Tool)
                throw new NotSupportedException("tool messages are not supported: this client has no tool calling");
            foreach (var content in message.Contents)
                if (content is not (TextContent or UsageContent))
                    throw new NotSupportedException(
                        $"{content.GetType().Name} in a {message.Role} message is not supported: this client sends text only (no images, files, reasoning, tool calls or results)");
            turns.Add(new ChatTurn(message.Role.Value, message.Text, message.AuthorName));
        }
        return turns;
    }

    /// <summary>The engine request for <paramref name="prompt"/> under <paramref name="options"/>.</summary>
    public static GenerationRequest ToRequest(IChatClient client, int[] prompt, ChatOptions? options, ChatTemplate template, string modelId)
    {
        var request = options?.RawRepresentationFactory?.Invoke(client) as GenerationRequest ?? new GenerationRequest
        {
            Sampling = new SamplingParameters(),
        };
        var stopTokens = new List<int>(request.StopTokenIds);
        stopTokens.AddRange(template.StopTokenIds.Where(id => !stopTokens.Contains(id)));
        request = request with { Prompt = null, PromptTokens = prompt, StopTokenIds = stopTokens };
        if (options is null)
            return request;
        if (options.ModelId is { } model && model != modelId)
            throw new ArgumentException($"options.ModelId \"{model}\" names another model; this client serves \"{modelId}\"", nameof(options));
        if (options.ConversationId is not null)
            throw new NotSupportedException("ConversationId is not supported: this client is stateless; send the whole conversation");
        if (options.ContinuationToken is not null)
            throw new NotSupportedException("ContinuationToken is not supported: this client has no background responses");
        if (options.Tools is { Count: > 0 })
            throw new NotSupportedException("Tools are not supported: this client has no tool calling");
        if (options.ToolMode is RequiredChatToolMode)
            throw new NotSupportedException("ToolMode Required is not supported: this client has no tool calling");
        if (options.ResponseFormat is ChatResponseFormatJson)
            throw new NotSupportedException("ResponseFormat JSON is not supported: the engine cannot constrain its output to JSON");
        var sampling = request.Sampling with
        {
            Temperature = options.Temperature ?? request.Sampling.Temperature,
            TopP = options.TopP ?? request.Sampling.TopP,
            TopK = options.TopK ?? request.Sampling.TopK,
            FrequencyPenalty = options.FrequencyPenalty ?? request.Sampling.FrequencyPenalty,
            PresencePenalty = options.PresencePenalty ?? request.Sampling.PresencePenalty,
            Seed = options.Seed is long seed ? unchecked((ulong)seed) : request.Sampling.Seed,
        };
        request = request with { MaxTokens = options.MaxOutputTokens ?? request.MaxTokens };
        if (options.StopSequences is { Count: > 0 } stops)
            request = request with { StopStrings = [.. request.StopStrings, .. stops] };
        if (options.AdditionalProperties is { } extra)
        {
            // vLLM's extra sampling parameters, under the names its OpenAI server takes.
            if (extra.TryGetValue("min_p", out var minP))
                sampling = sampling with { MinP = ToDouble(minP, "min_p") };
            if (extra.TryGetValue("repetition_penalty", out var repetition))
                sampling = sampling with { RepetitionPenalty = ToDouble(repetition, "repetition_penalty") };
            if (extra.TryGetValue("ignore_eos", out var ignoreEos))
                request = request with { IgnoreEos = ignoreEos is JsonElement { ValueKind: JsonValueKind.True } || ignoreEos is true };
            if (extra.TryGetValue("stop_token_ids", out var ids))
                request = request with { StopTokenIds = [.. request.StopTokenIds, .. ToInts(ids, "stop_token_ids")] };
        }
        return request with { Sampling = sampling };
    }

    public static ChatFinishReason? ToFinishReason(FinishReason reason) => reason switch
    {
        FinishReason.Stop => ChatFinishReason.Stop,
        FinishReason.Length => ChatFinishReason.Length,
        _ => null,
    };

    public static UsageDetails ToUsage(GenerationUsage usage) => new()
    {
        InputTokenCount = usage.PromptTokens,
        OutputTokenCount = usage.CompletionTokens,
        TotalTokenCount = usage.TotalTokens,
        CachedInputTokenCount = usage.CachedTokens,
    };

    private static double ToDouble(object? value, string name) => value switch
    {
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
        IConvertible c => c.ToDouble(CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"AdditionalProperties[\"{name}\"] must be a number, got {value?.GetType().Name ?? "null"}"),
    };

    private static IEnumerable<int> ToInts(object? value, string name) => value switch
    {
        JsonElement { ValueKind: JsonValueKind.Array } e => e.EnumerateArray().Select(x => x.GetInt32()).ToArray(),
        IEnumerable<int> ints => ints,
        System.Collections.IEnumerable items => items.Cast<object>().Select(x => Convert.ToInt32(x, CultureInfo.InvariantCulture)).ToArray(),
        _ => throw new ArgumentException($"AdditionalProperties[\"{name}\"] must be a list of token ids, got {value?.GetType().Name ?? "null"}"),
    };
}
