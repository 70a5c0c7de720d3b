using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SliceGpt.Server.Protocol;

/// <summary>
/// Typed access to a request body's fields. A JSON null counts as absent (as OpenAI's server treats it); a field of the
/// wrong type is a 400 naming it. Fields nobody asks for are ignored, as OpenAI's server ignores unknown fields.
/// </summary>
internal sealed class RequestFields(JsonElement root)
{
    public JsonElement Root { get; } = root;

    /// <summary>Reads a request body: malformed JSON, or a body that is not an object, is a 400 with the parser's message.</summary>
    public static async Task<RequestFields> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
        }
        catch (JsonException e)
        {
            throw OpenAIException.Invalid($"the request body is not valid JSON: {e.Message}", null, "invalid_json");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw OpenAIException.Invalid($"the request body must be a JSON object, not {Kind(document.RootElement)}", null, "invalid_json");
            return new RequestFields(document.RootElement.Clone());
        }
    }

    public JsonElement? Get(string name) =>
        Root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public string? String(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        var v => throw WrongType(name, "a string", v.Value),
    };

    public double? Number(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
        var v => throw WrongType(name, "a number", v.Value),
    };

    public long? Integer(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } v when v.TryGetInt64(out long l) => l,
        var v => throw WrongType(name, "an integer", v.Value),
    };

    public int? Int32(string name) => Integer(name) switch
    {
        null => null,
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        long l => throw OpenAIException.Invalid($"{name} is out of range: {l}", name),
    };

    public bool? Bool(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        var v => throw WrongType(name, "a boolean", v.Value),
    };

    /// <summary>A string or an array of strings (OpenAI's <c>stop</c>).</summary>
    public string[] Strings(string name) => Get(name) switch
    {
        null => [],
        { ValueKind: JsonValueKind.String } v => [v.GetString()!],
        { ValueKind: JsonValueKind.Array } v => v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
            ? e.GetString()! : throw WrongType(name, "a string or an array of strings", v)).ToArray(),
        var v => throw WrongType(name, "a string or an array of strings", v.Value),
    };

    public int[] Integers(string name) => Get(name) switch
    {
        null => [],
        { ValueKind: JsonValueKind.Array } v => v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int i)
            ? i : throw WrongType(name, "an array of integers", v)).ToArray(),
        var v => throw WrongType(name, "an array of integers", v.Value),
    };

    public static OpenAIException WrongType(string name, string expected, JsonElement value) =>
        OpenAIException.Invalid($"{name} must be {expected}, not {Kind(value)}", name);

    public static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
