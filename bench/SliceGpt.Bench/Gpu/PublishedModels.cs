using System.Reflection;
using SliceGpt.Runtime.Architectures;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Bench.Gpu;

/// <summary>
/// The six models of the paper's Tables 12 and 13, as the engine reads them: the public config.json values of
/// meta-llama/Llama-2-{7b,13b,70b}-hf and facebook/opt-{13b,30b,66b} (embedded from <c>Gpu/Configs/</c>) parsed by the
/// architecture adapters, the same path a real checkpoint takes. No GEMM shape is typed in anywhere else.
/// </summary>
internal static class PublishedModels
{
    /// <summary>The models in the paper's order: LLAMA-2 (Table 12), then OPT (Table 13).</summary>
    public static IReadOnlyList<string> Names { get; } = ["llama-2-7b", "llama-2-13b", "llama-2-70b", "opt-13b", "opt-30b", "opt-66b"];

    private static readonly Dictionary<string, ModelConfig> Cache = new(StringComparer.Ordinal);
    private static readonly Lock CacheLock = new();

    /// <summary>The config of <paramref name="name"/>, read through <see cref="ArchitectureRegistry"/>.</summary>
    public static ModelConfig Config(string name)
    {
        lock (CacheLock)
        {
            if (!Cache.TryGetValue(name, out var config))
            {
                var file = $"{name}.json";
                var json = ConfigJson.Parse(file, ReadResource(file));
                config = ArchitectureRegistry.Resolve(json).ReadConfig(json);
                config.Validate(file);
                Cache[name] = config;
            }
            return config;
        }
    }

    private static string ReadResource(string file)
    {
        var name = $"SliceGpt.Bench.Gpu.Configs.{file}";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded model config {name} is missing from the benchmark assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
