using System.Globalization;
using System.Text.Json;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.IO;

namespace SliceGpt.Runtime.Models;

/// <summary>Typed access to a parsed <c>config.json</c>; every failure names the file and the field.</summary>
public sealed class ConfigJson
{
    private readonly JsonElement _root;

    /// <summary>The file the values came from.</summary>
    public string File { get; }

    private ConfigJson(string file, JsonElement root)
    {
        File = file;
        _root = root;
    }

    /// <summary>Reads and parses <paramref name="file"/>, which must hold a JSON object.</summary>
    public static ConfigJson Load(string file)
    {
        if (!System.IO.File.Exists(file))
            throw new CheckpointFormatException(file, null, null, "a config.json file", "no such file");
        try
        {
            var bytes = InputFiles.ReadAllBytes(file);
            Utf8Text.RequireValid(file, bytes);
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(file, null, null, "a JSON object", doc.RootElement.ValueKind.ToString());
            return new ConfigJson(file, doc.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(file, null, null, "valid JSON", e.Message, e);
        }
    }

    /// <summary>Parses JSON text already in memory (used for configs written by SliceGpt itself).</summary>
    public static ConfigJson Parse(string file, string json)
    {
        using var doc = JsonDocument.Parse(json);
        return new ConfigJson(file, doc.RootElement.Clone());
    }

    /// <summary>The raw root object.</summary>
    public JsonElement Root => _root;

    /// <summary>Whether the field is present and not null.</summary>
    public bool Has(string field) => _root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>The raw field, or null when absent or null.</summary>
    public JsonElement? Get(string field) => Has(field) ? _root.GetProperty(field) : null;

    /// <summary>A required integer field.</summary>
    public int Int(string field) => Int(field, null) ?? throw Missing(field, "an integer");

    /// <summary>An optional integer field with a default.</summary>
    public int? Int(string field, int? fallback)
    {
        if (!Has(field))
            return fallback;
        var v = _root.GetProperty(field);
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i))
            return i;
        throw Wrong(field, "an integer", v);
    }

    /// <summary>An optional number field with a default.</summary>
    public double Double(string field, double fallback)
    {
        if (!Has(field))
            return fallback;
        var v = _root.GetProperty(field);
        if (v.ValueKind == JsonValueKind.Number)
            return v.GetDouble();
        throw Wrong(field, "a number", v);
    }

    /// <summary>An optional boolean field with a default.</summary>
    public bool Bool(string field, bool fallback)
    {
        if (!Has(field))
            return fallback;
        var v = _root.GetProperty(field);
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Wrong(field, "true or false", v),
        };
    }

    /// <summary>An optional string field.</summary>
    public string? String(string field)
    {
        if (!Has(field))
            return null;
        var v = _root.GetProperty(field);
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Wrong(field, "a string", v);
    }

    /// <summary>An exception for a field that is present but unusable.</summary>
    public CheckpointFormatException Wrong(string field, string expected, JsonElement found) =>
        new(File, null, field, expected, found.GetRawText());

    /// <summary>An exception for a field that is present but unsupported or inconsistent.</summary>
    public CheckpointFormatException Unsupported(string field, string expected, string found) =>
        new(File, null, field, expected, found);

    private CheckpointFormatException Missing(string field, string expected) => new(File, null, field, expected, "nothing (the field is missing)");

    /// <summary>The dtype named by <c>torch_dtype</c> (or <c>dtype</c>), float32 when absent.</summary>
    public TensorDType StorageDType()
    {
        var name = String("torch_dtype") ?? String("dtype");
        return name switch
        {
            null or "float32" => TensorDType.F32,
            "float16" => TensorDType.F16,
            "bfloat16" => TensorDType.BF16,
            "float64" => TensorDType.F64,
            _ => throw Unsupported("torch_dtype", "float32, float16 or bfloat16", name),
        };
    }

    /// <summary>Formats a double for messages.</summary>
    public static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
