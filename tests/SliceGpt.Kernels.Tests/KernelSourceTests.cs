using System.Text.RegularExpressions;

namespace SliceGpt.Kernels.Tests;

/// <summary>The embedded .cu files are present and declare every entry point the launchers use. Runs anywhere.</summary>
public sealed partial class KernelSourceTests
{
    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+void\s+(\w+)\s*\(\s*const\s+(\w+)\s+\w+\s*\)")]
    private static partial Regex EntryDeclaration();

    public static IEnumerable<KernelFamily> Families() => CudaKernels.Catalog;

    [Test]
    public void EveryFamilySourceIsEmbedded()
    {
        Assert.That(KernelSources.FileNames, Is.SupersetOf(CudaKernels.Catalog.Select(f => f.SourceFile)));
        Assert.That(KernelSources.Get("norm.cu").Headers.Select(h => h.IncludeName), Does.Contain(KernelSources.CommonHeader));
    }

    [TestCaseSource(nameof(Families))]
    public void SourceDeclaresEveryEntryPointItsLauncherUses(KernelFamily family)
    {
        var declared = EntryDeclaration().Matches(KernelSources.Get(family.SourceFile).Text).Select(m => m.Groups[1].Value).ToList();
        Assert.That(declared, Is.SupersetOf(family.EntryPoints), family.SourceFile);
    }

    [Test]
    public void EveryKernelInTheSourcesHasALauncher()
    {
        var declared = KernelSources.FileNames.SelectMany(f => EntryDeclaration().Matches(KernelSources.ReadText(f)))
            .Select(m => m.Groups[1].Value);
        Assert.That(CudaKernels.Catalog.SelectMany(f => f.EntryPoints), Is.EquivalentTo(declared));
    }

    [Test]
    public void EveryKernelTakesOneArgsStruct()
    {
        foreach (var file in KernelSources.FileNames)
        {
            foreach (Match m in EntryDeclaration().Matches(KernelSources.ReadText(file)))
                Assert.That(m.Groups[2].Value, Does.EndWith("Args"), $"{file}: {m.Groups[1].Value}");
            var globals = Regex.Matches(KernelSources.ReadText(file), @"__global__").Count;
            Assert.That(EntryDeclaration().Matches(KernelSources.ReadText(file)), Has.Count.EqualTo(globals),
                $"{file}: every __global__ must be an extern \"C\" entry with one const struct argument");
        }
    }

    [Test]
    public void EverySourceOpensWithADescriptionAndIncludesCommon()
    {
        foreach (var file in KernelSources.FileNames)
        {
            var text = KernelSources.ReadText(file);
            Assert.That(text, Does.StartWith($"// {file}:"), $"{file} opens with its description block");
            Assert.That(text, Does.Contain("Geometry:"), $"{file} describes its launch geometry");
            Assert.That(text, Does.Contain($"#include \"{KernelSources.CommonHeader}\""), file);
        }
    }
}
