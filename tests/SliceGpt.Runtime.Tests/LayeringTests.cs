using System.Text.RegularExpressions;

namespace SliceGpt.Runtime.Tests;

/// <summary>
/// The Runtime's namespaces form layers, read from the sources: each may use only the layers below it, so the model world
/// (checkpoints, models, adapters) knows nothing of inference or slicing, and the devices know nothing of slicing.
/// </summary>
public partial class LayeringTests
{
    // Lowest first. A namespace may depend on those listed before it, never on one after it.
    private static readonly string[] Layers =
    [
        "Numerics", "IO", "Tokenization", "Checkpoints", "Models", "Architectures", "Inference", "Diagnostics", "Sparsity",
        "Serving", "Evaluation", "Slicing",
    ];

    [Test]
    public void EveryNamespace_UsesOnlyTheLayersBelowIt()
    {
        var root = Path.Combine(SharedPaths.RepoRoot, "src", "SliceGpt.Runtime");
        var violations = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")))
        {
            var source = File.ReadAllText(file);
            var own = NamespacePattern().Match(source) is { Success: true } m ? Top(m.Groups[1].Value) : null;
            if (own is null)
                continue; // the root namespace (SliceGptException, EngineVersion) sits below every layer
            int level = Array.IndexOf(Layers, own);
            Assert.That(level, Is.GreaterThanOrEqualTo(0), $"{file}: namespace {own} is not in the layer list");
            foreach (Match use in UsePattern().Matches(source))
            {
                var used = use.Groups[1].Value;
                int usedLevel = Array.IndexOf(Layers, used);
                if (usedLevel > level)
                    violations.Add($"{Path.GetRelativePath(root, file)}: {own} uses {used}");
            }
        }
        Assert.That(violations.Distinct(), Is.Empty);
    }

    private static string? Top(string ns) => ns.Length == 0 ? null : ns.TrimStart('.').Split('.')[0];

    [GeneratedRegex(@"^namespace SliceGpt\.Runtime(\.[\w.]+)?;", RegexOptions.Multiline)]
    private static partial Regex NamespacePattern();

    // using directives and qualified names (Inference.Cuda.CudaBackend, Slicing.SliceMetadata): the Runtime's namespaces only.
    [GeneratedRegex(@"(?:using SliceGpt\.Runtime\.|(?<![\w.])(?=(?:Numerics|IO|Tokenization|Checkpoints|Models|Architectures|Inference|Diagnostics|Sparsity|Serving|Evaluation|Slicing)\.[A-Z]))(Numerics|IO|Tokenization|Checkpoints|Models|Architectures|Inference|Diagnostics|Sparsity|Serving|Evaluation|Slicing)\b")]
    private static partial Regex UsePattern();
}
