using System.Text.Json;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

/// <summary>Reads <c>rope_scaling</c>: absent/null, or Llama 3's frequency scaling; anything else is refused.</summary>
internal static class RopeScalingReader
{
    public static Llama3RopeScaling? Read(ConfigJson json)
    {
        var v = json.Get("rope_scaling");
        if (v is null)
            return null;
        var o = v.Value;
        if (o.ValueKind != JsonValueKind.Object)
            throw json.Wrong("rope_scaling", "null or an object", o);
        string? type = o.TryGetProperty("rope_type", out var t) ? t.GetString()
            : o.TryGetProperty("type", out var t2) ? t2.GetString() : null;
        if (type == "default")
            return null;
        if (type != "llama3")
            throw json.Unsupported("rope_scaling", "null or rope_type \"llama3\"", o.GetRawText());
        double Number(string name) => o.TryGetProperty(name, out var x) && x.ValueKind == JsonValueKind.Number
            ? x.GetDouble()
            : throw json.Unsupported($"rope_scaling.{name}", "a number", o.GetRawText());
        return new Llama3RopeScaling(Number("factor"), Number("low_freq_factor"), Number("high_freq_factor"),
            (int)Number("original_max_position_embeddings"));
    }
}
