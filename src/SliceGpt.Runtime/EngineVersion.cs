using System.Reflection;

namespace SliceGpt.Runtime;

/// <summary>The engine's name and version, recorded in every checkpoint and report it writes.</summary>
public static class EngineVersion
{
    /// <summary>"SliceGpt 0.1.0".</summary>
    public static string Text { get; } = $"SliceGpt {typeof(EngineVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"}";
}
