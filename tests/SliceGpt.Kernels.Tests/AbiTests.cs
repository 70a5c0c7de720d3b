using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using SliceGpt.Kernels.Args;

namespace SliceGpt.Kernels.Tests;

/// <summary>
/// Every kernel argument struct has one layout truth: the SG_ASSERT_SIZE/SG_ASSERT_OFFSET lines of its .cu,
/// which the offline clang/nvcc check enforces on the CUDA side. These tests parse those lines from the
/// embedded sources and hold the C# twins to the same numbers. Runs anywhere.
/// </summary>
public sealed partial class AbiTests
{
    [GeneratedRegex(@"^\s*struct\s+(\w+Args)\b", RegexOptions.Multiline)]
    private static partial Regex StructDeclaration();

    [GeneratedRegex(@"SG_ASSERT_SIZE\(\s*(\w+)\s*,\s*(\d+)\s*\)")]
    private static partial Regex SizeAssert();

    [GeneratedRegex(@"SG_ASSERT_OFFSET\(\s*(\w+)\s*,\s*(\w+)\s*,\s*(\d+)\s*\)")]
    private static partial Regex OffsetAssert();

    private sealed record CudaLayout(string Struct, string File, int Size, List<(string Field, int Offset)> Offsets);

    private static readonly Lazy<Dictionary<string, CudaLayout>> Layouts = new(ParseLayouts);

    private static Dictionary<string, CudaLayout> ParseLayouts()
    {
        var layouts = new Dictionary<string, CudaLayout>();
        foreach (var file in KernelSources.FileNames)
        {
            var text = KernelSources.ReadText(file);
            foreach (Match m in SizeAssert().Matches(text))
                layouts.Add(m.Groups[1].Value, new CudaLayout(m.Groups[1].Value, file, int.Parse(m.Groups[2].Value), []));
            foreach (Match m in OffsetAssert().Matches(text))
                layouts[m.Groups[1].Value].Offsets.Add((m.Groups[2].Value, int.Parse(m.Groups[3].Value)));
        }
        return layouts;
    }

    private static IEnumerable<Type> CSharpArgs() =>
        typeof(RmsNormArgs).Assembly.GetTypes().Where(t => t.Namespace == typeof(RmsNormArgs).Namespace && t.IsValueType);

    public static IEnumerable<string> CudaStructNames() => Layouts.Value.Keys.Order(StringComparer.Ordinal);

    [Test]
    public void EveryArgsStructInTheSourcesPinsItsSize()
    {
        var declared = KernelSources.FileNames.SelectMany(f => StructDeclaration().Matches(KernelSources.ReadText(f)))
            .Select(m => m.Groups[1].Value).ToList();
        Assert.That(declared, Is.Not.Empty);
        Assert.That(Layouts.Value.Keys, Is.EquivalentTo(declared), "each struct XArgs needs one SG_ASSERT_SIZE");
    }

    [Test]
    public void EveryCudaStructHasACSharpTwinAndViceVersa()
    {
        var twins = CSharpArgs().Select(t => t.Name).ToList();
        Assert.That(twins, Is.EquivalentTo(Layouts.Value.Keys));
    }

    [TestCaseSource(nameof(CudaStructNames))]
    public void CSharpTwinMatchesThePinnedLayout(string structName)
    {
        var layout = Layouts.Value[structName];
        var type = CSharpArgs().Single(t => t.Name == structName);
        var fields = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        Assert.Multiple(() =>
        {
            Assert.That(type.IsLayoutSequential, Is.True, $"{structName} must be [StructLayout(LayoutKind.Sequential)]");
            Assert.That(Marshal.SizeOf(type), Is.EqualTo(layout.Size), $"Marshal.SizeOf({structName}) vs {layout.File}");
            // The launcher passes the managed bytes, so the managed size must agree too.
            Assert.That(ManagedSize(type), Is.EqualTo(layout.Size), $"Unsafe.SizeOf<{structName}>()");
            Assert.That(fields.Select(f => f.Name.ToLowerInvariant()),
                Is.EquivalentTo(layout.Offsets.Select(o => o.Field.ToLowerInvariant())),
                $"every field of {structName} must be pinned in {layout.File}, and only those");
            foreach (var (field, offset) in layout.Offsets)
            {
                var twin = fields.SingleOrDefault(f => string.Equals(f.Name, field, StringComparison.OrdinalIgnoreCase));
                if (twin is null)
                    continue;
                Assert.That((int)Marshal.OffsetOf(type, twin.Name), Is.EqualTo(offset), $"{structName}.{field}");
                Assert.That(Marshal.SizeOf(twin.FieldType), Is.LessThanOrEqualTo(RoomFor(layout, field)),
                    $"{structName}.{field} overlaps the next pinned field");
            }
            Assert.That(layout.Offsets.Select(o => o.Offset), Is.Ordered.Ascending, $"{layout.File} pins {structName}'s fields in order");
        });
    }

    // Bytes from a field's offset to the next pinned field, or to the end of the struct.
    private static int RoomFor(CudaLayout layout, string field)
    {
        var ordered = layout.Offsets.OrderBy(o => o.Offset).ToList();
        int index = ordered.FindIndex(o => o.Field == field);
        int end = index + 1 < ordered.Count ? ordered[index + 1].Offset : layout.Size;
        return end - ordered[index].Offset;
    }

    private static int ManagedSize(Type type) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;
}
