using System.Text.Json;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

/// <summary>Chooses the adapter from <c>config.json</c>'s <c>architectures</c>, else its <c>model_type</c>.</summary>
public static class ArchitectureRegistry
{
    /// <summary>Every adapter, one per family.</summary>
    public static IReadOnlyList<ArchitectureAdapter> All { get; } =
        [new LlamaAdapter(), new OptAdapter(), new PhiAdapter(), new Phi3Adapter()];

    /// <summary>The adapter of a family.</summary>
    public static ArchitectureAdapter For(ArchitectureFamily family) => All.First(a => a.Family == family);

    /// <summary>The adapter that <paramref name="json"/> names.</summary>
    /// <exception cref="UnsupportedArchitectureException">The config names nothing supported.</exception>
    public static ArchitectureAdapter Resolve(ConfigJson json)
    {
        var declared = DeclaredArchitecture(json);
        if (declared is not null)
        {
            return All.FirstOrDefault(a => a.ArchitectureNames.Contains(declared))
                ?? throw Unsupported(json, $"architectures = [\"{declared}\"]");
        }
        var modelType = json.String("model_type");
        if (modelType is not null)
        {
            return All.FirstOrDefault(a => a.ModelTypes.Contains(modelType))
                ?? throw Unsupported(json, $"model_type = \"{modelType}\"");
        }
        throw Unsupported(json, "neither 'architectures' nor 'model_type'");
    }

    /// <summary>The first entry of <c>architectures</c>, if the field is present.</summary>
    public static string? DeclaredArchitecture(ConfigJson json)
    {
        var v = json.Get("architectures");
        if (v is null)
            return null;
        if (v.Value.ValueKind != JsonValueKind.Array || v.Value.GetArrayLength() == 0
            || v.Value[0].ValueKind != JsonValueKind.String)
            throw json.Wrong("architectures", "a non-empty list of strings", v.Value);
        return v.Value[0].GetString();
    }

    private static UnsupportedArchitectureException Unsupported(ConfigJson json, string found) =>
        new(json.File, found, All.SelectMany(a => a.ArchitectureNames.Select(n => $"{n} ({string.Join("/", a.ModelTypes)})")));
}
