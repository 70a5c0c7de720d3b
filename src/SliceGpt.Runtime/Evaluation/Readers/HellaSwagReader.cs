using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SliceGpt.Runtime.Evaluation.Readers;

/// <summary>
/// Reads HellaSwag in either of its two published forms: the plain-text layout of <c>hellaswag_val_full.txt</c> (six lines
/// per task: context, gold index, four endings; already cleaned), or the original jsonl (<c>ctx_a</c>, <c>ctx_b</c>,
/// <c>activity_label</c>, <c>endings</c>, <c>label</c>), which is cleaned here as lm-evaluation-harness cleans it.
/// A file whose first non-blank character is <c>{</c> is jsonl.
/// </summary>
public static partial class HellaSwagReader
{
    /// <summary>Endings per HellaSwag task.</summary>
    public const int Endings = 4;

    private const int LinesPerTask = 2 + Endings;

    /// <summary>Reads the first <paramref name="limit"/> tasks (all when null) of <paramref name="path"/>.</summary>
    /// <exception cref="TaskFileException">The file is malformed; the message names the line.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static IReadOnlyList<ChoiceTask> Read(string path, int? limit = null)
    {
        var lines = TaskFileLines.Read(path);
        var first = lines.FirstOrDefault(l => l.Text.Trim().Length > 0);
        var tasks = first.Text?.TrimStart().StartsWith('{') == true ? ReadJsonl(path, lines, limit) : ReadText(path, lines, limit);
        if (tasks.Count == 0)
            throw new TaskFileException(path, null, "holds no tasks");
        return tasks;
    }

    /// <summary>
    /// lm-evaluation-harness's HellaSwag <c>preprocess</c>: trim; <c>" [title]"</c> becomes <c>". "</c>; every other
    /// bracketed marker is removed; each pair of spaces becomes one (a single pass, as Python's <c>str.replace</c>).
    /// </summary>
    public static string Preprocess(string text)
    {
        text = text.Trim().Replace(" [title]", ". ", StringComparison.Ordinal);
        text = BracketedMarker().Replace(text, "");
        return text.Replace("  ", " ", StringComparison.Ordinal);
    }

    /// <summary>Python's <c>str.capitalize</c>: the first character upper case, the rest lower case.</summary>
    public static string Capitalize(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant();

    // Python's re "\[.*?\]": '.' does not cross a newline.
    [GeneratedRegex(@"\[.*?\]", RegexOptions.CultureInvariant)]
    private static partial Regex BracketedMarker();

    private static List<ChoiceTask> ReadText(string path, IEnumerable<(int Number, string Text)> lines, int? limit)
    {
        var tasks = new List<ChoiceTask>();
        var block = new List<(int Number, string Text)>(LinesPerTask);
        foreach (var line in lines)
        {
            if (tasks.Count == limit)
                break;
            block.Add(line);
            if (block.Count < LinesPerTask)
                continue;
            tasks.Add(TextTask(path, block));
            block.Clear();
        }
        if (block.Count > 0 && tasks.Count != limit)
        {
            throw new TaskFileException(path, block[0].Number,
                $"the file ends inside the task starting here: {block.Count} of its {LinesPerTask} lines (context, gold index, {Endings} endings)");
        }
        return tasks;
    }

    private static ChoiceTask TextTask(string path, List<(int Number, string Text)> block)
    {
        foreach (var (number, text) in block)
        {
            if (text.Trim().Length == 0)
                throw new TaskFileException(path, number, $"empty line: each task is {LinesPerTask} non-empty lines (context, gold index, {Endings} endings)");
        }
        var (goldLine, goldText) = block[1];
        if (!int.TryParse(goldText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int gold) || gold >= Endings)
            throw new TaskFileException(path, goldLine, $"the gold index must be an integer in 0..{Endings - 1}, found \"{goldText}\"");
        return new ChoiceTask(block[0].Text, [.. block.Skip(2).Select(l => l.Text)], gold);
    }

    private static List<ChoiceTask> ReadJsonl(string path, IEnumerable<(int Number, string Text)> lines, int? limit)
    {
        var tasks = new List<ChoiceTask>();
        foreach (var (number, text) in lines)
        {
            if (tasks.Count == limit)
                break;
            if (text.Trim().Length == 0)
                continue;
            using var doc = JsonLine.Parse(path, number, text);
            var root = doc.RootElement;
            var ctx = JsonLine.String(path, number, root, "ctx_a") + " " + Capitalize(JsonLine.String(path, number, root, "ctx_b"));
            var context = Preprocess(JsonLine.String(path, number, root, "activity_label") + ": " + ctx);
            var endings = JsonLine.Strings(path, number, root, "endings").Select(Preprocess).ToArray();
            if (endings.Length != Endings)
                throw new TaskFileException(path, number, $"\"endings\" must hold {Endings} strings, found {endings.Length}");
            tasks.Add(new ChoiceTask(context, endings, JsonLine.GoldIndex(path, number, root, "label", endings)));
        }
        return tasks;
    }
}
