using System.Text;
using SliceGpt.Bench.Gpu;
using SliceGpt.Bench.Gpu.Comparison;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench;

/// <summary>The options this program reads itself; everything else goes to BenchmarkDotNet.</summary>
/// <param name="ListShapes">The suite of <c>--list-shapes</c>, or null.</param>
/// <param name="Compare">The two files of <c>--compare-pytorch</c>, or null.</param>
/// <param name="Out">The file of <c>--out</c> (standard output when null).</param>
/// <param name="PyTorchDirectory">The folder of <c>--pytorch</c>, or null.</param>
/// <param name="Rest">The arguments left for BenchmarkDotNet.</param>
internal sealed record ToolOptions(string? ListShapes, (string Ours, string Theirs)? Compare, string? Out, string? PyTorchDirectory,
    IReadOnlyList<string> Rest)
{
    /// <summary>Splits <paramref name="args"/> into this program's options and BenchmarkDotNet's.</summary>
    /// <exception cref="ArgumentException">An option lacks its value, or two modes are asked for at once.</exception>
    public static ToolOptions Parse(IReadOnlyList<string> args)
    {
        string? listShapes = null, output = null, pytorch = null;
        (string, string)? compare = null;
        var rest = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string Value(int offset) => i + offset < args.Count && !args[i + offset].StartsWith("--", StringComparison.Ordinal)
                ? args[i + offset]
                : throw new ArgumentException($"{args[i]} needs {(args[i] == "--compare-pytorch" ? "two files" : "a value")}");
            switch (args[i])
            {
                case "--list-shapes":
                    listShapes = Value(1);
                    i++;
                    break;
                case "--compare-pytorch":
                    compare = (Value(1), Value(2));
                    i += 2;
                    break;
                case "--out":
                    output = Value(1);
                    i++;
                    break;
                case "--pytorch":
                    pytorch = Value(1);
                    i++;
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }
        if (listShapes is not null && compare is not null)
            throw new ArgumentException("--list-shapes and --compare-pytorch are separate runs");
        if (output is not null && listShapes is null && compare is null)
            throw new ArgumentException("--out goes with --list-shapes or --compare-pytorch");
        return new ToolOptions(listShapes, compare, output, pytorch, rest);
    }
}

/// <summary>The modes that need no GPU and do not run BenchmarkDotNet.</summary>
internal static class ToolModes
{
    /// <summary>Writes the per-matmul products of <paramref name="suite"/> as CSV. Exit code 0, or 2 with one line.</summary>
    public static int ListShapes(string suite, string? path, TextWriter output)
    {
        try
        {
            Write(ShapeList.Lines(ShapeList.Suite(suite)), path, output);
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            output.WriteLine($"SliceGpt.Bench: {e.Message}");
            return 2;
        }
    }

    /// <summary>Writes this engine's products next to PyTorch's as markdown. Exit code 0, or 2 with one line.</summary>
    public static int ComparePyTorch(string ours, string theirs, string? path, TextWriter output)
    {
        try
        {
            var comparison = new ProductComparison(ProductsCsv.Read(theirs), theirs);
            var compared = comparison.Compare(ProductsCsv.Read(ours));
            Write(ComparisonReport.Markdown(compared, ours, theirs), path, output);
            return 0;
        }
        catch (Exception e) when (e is BenchCsvException or IOException or UnauthorizedAccessException)
        {
            output.WriteLine($"SliceGpt.Bench: {e.Message}");
            return 2;
        }
    }

    // To a temporary sibling first, then renamed: a failure never leaves half a file.
    private static void Write(IEnumerable<string> lines, string? path, TextWriter output)
    {
        var all = lines.ToList();
        if (path is null)
        {
            foreach (var line in all)
                output.WriteLine(line);
            return;
        }
        var full = Path.GetFullPath(path);
        var temporary = full + ".tmp";
        File.WriteAllLines(temporary, all, new UTF8Encoding(false));
        File.Move(temporary, full, overwrite: true);
    }
}
