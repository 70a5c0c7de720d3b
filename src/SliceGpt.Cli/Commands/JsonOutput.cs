using System.Text.Json;

namespace SliceGpt.Cli.Commands;

/// <summary>Writes one JSON object per command result, with snake_case field names.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // A perplexity can overflow to infinity with finite losses (exp of a mean NLL above 709); it is written as
        // "Infinity" rather than failing inside the serializer.
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Options));
}
