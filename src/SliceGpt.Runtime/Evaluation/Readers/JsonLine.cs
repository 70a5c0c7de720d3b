using System.Text.Json;

namespace SliceGpt.Runtime.Evaluation.Readers;

/// <summary>Field access on one line of a jsonl task file; every failure names the file, the line and the field.</summary>
internal static class JsonLine
{
    /// <summary>Parses one line, which must be a JSON object.</summary>
    public static JsonDocument Parse(string path, int line, string text)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new TaskFileException(path, line, $"not a JSON object: {e.Message}", e);
        }
        var kind = doc.RootElement.ValueKind;
        if (kind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new TaskFileException(path, line, $"not a JSON object: found a {kind}");
        }
        return doc;
    }

    /// <summary>The value at <paramref name="field"/>, a name or a dotted path into nested objects (<c>choices.text</c>).</summary>
    public static JsonElement Field(string path, int line, JsonElement root, string field)
    {
        var value = root;
        foreach (var name in field.Split('.'))
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(name, out value))
                throw new TaskFileException(path, line, $"no field \"{field}\"");
        }
        return value;
    }

    /// <summary>A string field.</summary>
    public static string String(string path, int line, JsonElement root, string field)
    {
        var value = Field(path, line, root, field);
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new TaskFileException(path, line, $"\"{field}\" must be a string, found a {value.ValueKind}");
    }

    /// <summary>A field holding an array of strings.</summary>
    public static string[] Strings(string path, int line, JsonElement root, string field)
    {
        var value = Field(path, line, root, field);
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
            throw new TaskFileException(path, line, $"\"{field}\" must be an array of strings");
        return [.. value.EnumerateArray().Select(v => v.GetString()!)];
    }

    /// <summary>
    /// The gold index, as lm-evaluation-harness reads a target: an integer (or a string of digits) is the index, any
    /// other string must equal one of the choices.
    /// </summary>
    public static int GoldIndex(string path, int line, JsonElement root, string field, IReadOnlyList<string> choices)
    {
        var value = Field(path, line, root, field);
        string text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        if (value.ValueKind is JsonValueKind.Number or JsonValueKind.String && text.Length > 0 && text.All(char.IsAsciiDigit))
        {
            return int.TryParse(text, out int index) && index < choices.Count
                ? index
                : throw new TaskFileException(path, line, $"\"{field}\" must be a choice index in 0..{choices.Count - 1}, found {text}");
        }
        if (value.ValueKind == JsonValueKind.String)
        {
            int index = choices.ToList().IndexOf(text);
            return index >= 0
                ? index
                : throw new TaskFileException(path, line, $"\"{field}\" is \"{text}\", neither a choice index nor one of the choices");
        }
        throw new TaskFileException(path, line, $"\"{field}\" must be a choice index in 0..{choices.Count - 1}, found {text}");
    }
}
