using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SliceGpt.Extensions.AI;
using SliceGpt.Runtime.Serving;

namespace SliceGpt.Server.Protocol;

/// <summary>A parsed <c>/v1/completions</c> or <c>/v1/chat/completions</c> request: the engine request and how to answer.</summary>
internal sealed record CompletionRequest(GenerationRequest Generation, bool Stream, bool IncludeUsage)
{
    /// <summary>OpenAI's default <c>max_tokens</c> of a (legacy) completion; a chat completion runs to the context's end.</summary>
    public const int DefaultCompletionMaxTokens = 16;

    /// <summary>
    /// <c>/v1/completions</c>: <c>prompt</c> is a string, an array of one string, an array of token ids, or an array of one
    /// array of token ids.
    /// </summary>
    public static CompletionRequest ParseCompletion(RequestFields f, ServedModel model)
    {
        if (f.Bool("echo") == true)
            throw OpenAIException.Invalid("echo is not supported", "echo");
        if (f.Integer("best_of") is > 1)
            throw OpenAIException.Invalid("best_of > 1 is not supported", "best_of");
        if (f.Get("logprobs") is not null)
            throw OpenAIException.Invalid("logprobs are not supported", "logprobs");
        if (f.String("suffix") is { Length: > 0 })
            throw OpenAIException.Invalid("suffix is not supported", "suffix");
        var request = Common(f, model, f.Int32("max_tokens") ?? DefaultCompletionMaxTokens);
        var prompt = f.Get("prompt") ?? throw OpenAIException.Invalid("prompt is required", "prompt");
        return request with { Generation = WithPrompt(request.Generation, prompt) };
    }

    /// <summary><c>/v1/chat/completions</c>: <c>messages</c> through the model's chat template.</summary>
    public static CompletionRequest ParseChat(RequestFields f, ServedModel model)
    {
        if (f.Bool("logprobs") == true)
            throw OpenAIException.Invalid("logprobs are not supported", "logprobs");
        if (f.Get("tools") is { ValueKind: JsonValueKind.Array } tools && tools.GetArrayLength() > 0)
            throw OpenAIException.Invalid("tools are not supported: this server has no tool calling", "tools");
        if (f.Get("functions") is { ValueKind: JsonValueKind.Array } functions && functions.GetArrayLength() > 0)
            throw OpenAIException.Invalid("functions are not supported: this server has no tool calling", "functions");
        if (f.Get("response_format") is { } format && (format.ValueKind != JsonValueKind.Object
            || !format.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "text"))
            throw OpenAIException.Invalid("response_format other than {\"type\": \"text\"} is not supported: the engine cannot constrain its output", "response_format");
        var request = Common(f, model, f.Int32("max_completion_tokens") ?? f.Int32("max_tokens"));
        var turns = ChatMessages.Parse(f.Get("messages") ?? throw OpenAIException.Invalid("messages is required", "messages"));
        var template = model.ChatTemplate ?? throw OpenAIException.Invalid(model.ChatTemplateProblem!, "messages", "chat_template_missing");
        var prompt = template.Apply(turns, model.Tokenizer, addGenerationPrompt: true);
        var generation = request.Generation with
        {
            PromptTokens = prompt,
            StopTokenIds = [.. request.Generation.StopTokenIds, .. template.StopTokenIds],
        };
        return request with { Generation = generation };
    }

    // The fields both endpoints share: model, n, sampling (OpenAI's and vLLM's), stop conditions, streaming.
    private static CompletionRequest Common(RequestFields f, ServedModel model, int? maxTokens)
    {
        if (f.String("model") is { } name && name != model.Name)
            throw new OpenAIException(StatusCodes.Status404NotFound, "invalid_request_error",
                $"The model `{name}` does not exist; this server serves `{model.Name}`", "model", "model_not_found");
        if (f.Integer("n") is long n && n != 1)
            throw OpenAIException.Invalid($"only n=1 is supported, got n={n}", "n");
        if (f.Get("logit_bias") is { ValueKind: JsonValueKind.Object } bias && bias.EnumerateObject().Any())
            throw OpenAIException.Invalid("logit_bias is not supported", "logit_bias");
        long? topK = f.Integer("top_k");
        var sampling = new SamplingParameters
        {
            Temperature = f.Number("temperature") ?? 1.0,
            TopP = f.Number("top_p") ?? 1.0,
            TopK = topK is -1 ? 0 : (int)Math.Clamp(topK ?? 0, int.MinValue, int.MaxValue), // vLLM's -1: no top-k
            MinP = f.Number("min_p") ?? 0,
            RepetitionPenalty = f.Number("repetition_penalty") ?? 1.0,
            PresencePenalty = f.Number("presence_penalty") ?? 0,
            FrequencyPenalty = f.Number("frequency_penalty") ?? 0,
            Seed = f.Integer("seed") is long seed ? unchecked((ulong)seed) : null,
        };
        bool stream = f.Bool("stream") ?? false;
        bool includeUsage = f.Get("stream_options") is { ValueKind: JsonValueKind.Object } options
            && options.TryGetProperty("include_usage", out var include) && include.ValueKind == JsonValueKind.True;
        var generation = new GenerationRequest
        {
            MaxTokens = maxTokens,
            StopStrings = f.Strings("stop"),
            StopTokenIds = f.Integers("stop_token_ids"),
            IgnoreEos = f.Bool("ignore_eos") ?? false,
            Sampling = sampling,
        };
        return new CompletionRequest(generation, stream, includeUsage);
    }

    private static GenerationRequest WithPrompt(GenerationRequest request, JsonElement prompt)
    {
        const string shapes = "prompt must be a string, an array of one string, an array of token ids or an array of one array of token ids";
        switch (prompt.ValueKind)
        {
            case JsonValueKind.String:
                return request with { Prompt = prompt.GetString() };
            case JsonValueKind.Array when prompt.GetArrayLength() == 0:
                throw OpenAIException.Invalid("prompt must not be empty", "prompt");
            case JsonValueKind.Array:
                var items = prompt.EnumerateArray().ToArray();
                if (items.All(i => i.ValueKind == JsonValueKind.Number))
                    return request with { Prompt = null, PromptTokens = TokenIds(prompt) };
                if (items.Length > 1 && items.All(i => i.ValueKind is JsonValueKind.String or JsonValueKind.Array))
                    throw OpenAIException.Invalid($"batched prompts ({items.Length}) are not supported: send one prompt per request", "prompt");
                if (items[0].ValueKind == JsonValueKind.String)
                    return request with { Prompt = items[0].GetString() };
                if (items[0].ValueKind == JsonValueKind.Array)
                    return request with { Prompt = null, PromptTokens = TokenIds(items[0]) };
                throw OpenAIException.Invalid(shapes, "prompt");
            default:
                throw OpenAIException.Invalid(shapes, "prompt");
        }

        static int[] TokenIds(JsonElement array) => array.EnumerateArray()
            .Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int id) ? id : throw OpenAIException.Invalid("prompt token ids must be integers", "prompt"))
            .ToArray();
    }
}

/// <summary>OpenAI's chat messages as template turns: text content only (a string or text parts), no tool messages.</summary>
internal static class ChatMessages
{
    public static List<ChatTurn> Parse(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array)
            throw RequestFields.WrongType("messages", "an array", messages);
        if (messages.GetArrayLength() == 0)
            throw OpenAIException.Invalid("messages must not be empty", "messages");
        var turns = new List<ChatTurn>();
        int index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            string at = $"messages[{index++}]";
            if (message.ValueKind != JsonValueKind.Object)
                throw RequestFields.WrongType(at, "an object", message);
            var fields = new RequestFields(message);
            string role = fields.String("role") ?? throw OpenAIException.Invalid($"{at}.role is required", $"{at}.role");
            if (role is "tool" or "function")
                throw OpenAIException.Invalid($"{at}: {role} messages are not supported: this server has no tool calling", $"{at}.role");
            if (role is not ("system" or "developer" or "user" or "assistant"))
                throw OpenAIException.Invalid($"{at}.role must be system, developer, user or assistant, not \"{role}\"", $"{at}.role");
            if (fields.Get("tool_calls") is { ValueKind: JsonValueKind.Array } calls && calls.GetArrayLength() > 0)
                throw OpenAIException.Invalid($"{at}: tool calls are not supported", $"{at}.tool_calls");
            // "developer" is OpenAI's newer name for the system role; templates know "system".
            turns.Add(new ChatTurn(role == "developer" ? "system" : role, Content(fields.Get("content"), at), fields.String("name")));
        }
        return turns;
    }

    // A string, or text parts joined with newlines (as vLLM joins them).
    private static string Content(JsonElement? content, string at)
    {
        switch (content)
        {
            case null:
                return "";
            case { ValueKind: JsonValueKind.String } s:
                return s.GetString()!;
            case { ValueKind: JsonValueKind.Array } parts:
                var texts = new List<string>();
                foreach (var part in parts.EnumerateArray())
                {
                    var fields = new RequestFields(part.ValueKind == JsonValueKind.Object ? part : throw RequestFields.WrongType($"{at}.content", "a string or an array of content parts", part));
                    string type = fields.String("type") ?? "(none)";
                    if (type != "text")
                        throw OpenAIException.Invalid($"{at}.content: {type} parts are not supported; only text", $"{at}.content");
                    texts.Add(fields.String("text") ?? throw OpenAIException.Invalid($"{at}.content: a text part needs its text", $"{at}.content"));
                }
                return string.Join("\n", texts);
            case var other:
                throw RequestFields.WrongType($"{at}.content", "a string or an array of content parts", other.Value);
        }
    }
}
