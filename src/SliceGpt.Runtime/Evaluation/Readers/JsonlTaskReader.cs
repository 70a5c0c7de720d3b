namespace SliceGpt.Runtime.Evaluation.Readers;

/// <summary>Where the parts of a task are in each line of an lm-evaluation-harness-style jsonl file.</summary>
/// <param name="Context">The context's field (a string); a dotted path reaches into nested objects.</param>
/// <param name="Choices">One field holding an array of strings (<c>choices</c>, <c>choices.text</c>), or several fields holding one string each (<c>sol1</c>, <c>sol2</c>).</param>
/// <param name="Gold">The gold field: an index (number or string of digits), or the text of the correct choice.</param>
public sealed record JsonlFields(string Context, IReadOnlyList<string> Choices, string Gold);

/// <summary>
/// Reads multiple-choice tasks from jsonl, one JSON object per line, with the field names given by
/// <see cref="JsonlFields"/>, so PIQA, ARC and similar files score as HellaSwag does. Blank lines are skipped.
/// </summary>
public static class JsonlTaskReader
{
    /// <summary>Reads the first <paramref name="limit"/> tasks (all when null) of <paramref name="path"/>.</summary>
    /// <exception cref="TaskFileException">A line is not a JSON object or lacks a field; the message names the line.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static IReadOnlyList<ChoiceTask> Read(string path, JsonlFields fields, int? limit = null)
    {
        if (fields.Choices.Count == 0)
            throw new ArgumentException("name at least one choices field", nameof(fields));
        var tasks = new List<ChoiceTask>();
        foreach (var (number, text) in TaskFileLines.Read(path))
        {
            if (tasks.Count == limit)
                break;
            if (text.Trim().Length == 0)
                continue;
            using var doc = JsonLine.Parse(path, number, text);
            var root = doc.RootElement;
            var context = JsonLine.String(path, number, root, fields.Context);
            var choices = fields.Choices.Count == 1
                ? JsonLine.Strings(path, number, root, fields.Choices[0])
                : [.. fields.Choices.Select(f => JsonLine.String(path, number, root, f))];
            if (choices.Length == 0)
                throw new TaskFileException(path, number, $"\"{fields.Choices[0]}\" holds no choices");
            tasks.Add(new ChoiceTask(context, choices, JsonLine.GoldIndex(path, number, root, fields.Gold, choices)));
        }
        if (tasks.Count == 0)
            throw new TaskFileException(path, null, "holds no tasks");
        return tasks;
    }
}
