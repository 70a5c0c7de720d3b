using System.Text.Json;
using SliceGpt.Runtime.IO;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>Field access for tokenizer JSON files that turns every missing or mistyped field into a
/// <see cref="TokenizerFormatException"/> naming the file and the field.</summary>
internal static class TokenizerJson
{
    /// <summary>Parses a whole JSON file.</summary>
    public static JsonDocument Parse(string file)
    {
        try
        {
            var bytes = InputFiles.ReadAllBytes(file);
            Utf8Text.RequireValid(file, bytes);
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(file, $"not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>Token ids at or above this are refused: far beyond any real vocabulary, and the tokenizer allocates tables of this size.</summary>
    public const int MaxId = 1 << 24;

    /// <summary>A token id: an integer in [0, <see cref="MaxId"/>).</summary>
    public static int Id(JsonElement value, string file, string where)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int id) || id < 0 || id >= MaxId)
            throw new TokenizerFormatException(file, $"{where} has id {value.GetRawText()}, expected an integer in [0, {MaxId})");
        return id;
    }

    /// <summary>The property <paramref name="name"/> of <paramref name="json"/>, which must exist.</summary>
    public static JsonElement Required(JsonElement json, string name, string file, string where)
    {
        if (json.ValueKind != JsonValueKind.Object)
            throw new TokenizerFormatException(file, $"{where} is a JSON {json.ValueKind}, expected an object");
        if (!json.TryGetProperty(name, out var value))
            throw new TokenizerFormatException(file, $"{where} has no \"{name}\" field");
        return value;
    }

    /// <summary>The string property <paramref name="name"/>, which must exist.</summary>
    public static string RequiredString(JsonElement json, string name, string file, string where)
    {
        var value = Required(json, name, file, where);
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new TokenizerFormatException(file, $"{where} field \"{name}\" is a JSON {value.ValueKind}, expected a string");
    }

    /// <summary>The property <paramref name="name"/>, or an undefined element when absent.</summary>
    public static JsonElement Optional(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) ? value : default;

    /// <summary>A boolean property; <paramref name="fallback"/> when absent or null.</summary>
    public static bool Bool(JsonElement json, string name, bool fallback) =>
        Optional(json, name).ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => fallback,
        };

    /// <summary>A string property; null when absent or null.</summary>
    public static string? String(JsonElement json, string name) =>
        Optional(json, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    /// <summary>The (pattern, content) of a <c>Replace</c> normalizer or decoder; only plain-string patterns.</summary>
    public static (string Pattern, string Content) ReplacePattern(JsonElement json, string file, string where)
    {
        var pattern = Required(json, "pattern", file, where);
        var content = RequiredString(json, "content", file, where);
        if (String(pattern, "String") is { Length: > 0 } literal)
            return (literal, content);
        throw new TokenizerFormatException(file, $"{where} pattern {pattern.GetRawText()} is not supported (only a non-empty \"String\" pattern)");
    }
}
