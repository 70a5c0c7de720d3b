using System.Reflection;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels;

/// <summary>
/// The .cu sources embedded in this assembly (each under its file name) and the headers they include, ready
/// for NVRTC. Read once per process.
/// </summary>
public static class KernelSources
{
    /// <summary>The header every kernel source includes.</summary>
    public const string CommonHeader = "common.cuh";

    private static readonly Assembly Assembly = typeof(KernelSources).Assembly;
    private static readonly Lazy<IReadOnlyList<KernelHeader>> Headers = new(() =>
        Assembly.GetManifestResourceNames().Where(n => n.EndsWith(".cuh", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(n => new KernelHeader(n, ReadText(n))).ToList());
    private static readonly Dictionary<string, Lazy<KernelSource>> Sources =
        Assembly.GetManifestResourceNames().Where(n => n.EndsWith(".cu", StringComparison.Ordinal))
            .ToDictionary(n => n, n => new Lazy<KernelSource>(() => new KernelSource(n, ReadText(n), Headers.Value)));

    /// <summary>The file names of every embedded kernel source (e.g. "norm.cu").</summary>
    public static IReadOnlyList<string> FileNames { get; } = Sources.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>The source <paramref name="fileName"/> with its headers.</summary>
    /// <exception cref="ArgumentException">No such embedded source.</exception>
    public static KernelSource Get(string fileName) =>
        Sources.TryGetValue(fileName, out var source)
            ? source.Value
            : throw new ArgumentException($"no embedded kernel source {fileName}; embedded: {string.Join(", ", FileNames)}", nameof(fileName));

    /// <summary>The text of an embedded .cu or .cuh file.</summary>
    public static string ReadText(string resourceName)
    {
        using var stream = Assembly.GetManifestResourceStream(resourceName)
            ?? throw new ArgumentException($"no embedded resource {resourceName}", nameof(resourceName));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
