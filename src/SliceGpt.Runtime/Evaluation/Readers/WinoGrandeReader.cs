namespace SliceGpt.Runtime.Evaluation.Readers;

/// <summary>
/// Reads WinoGrande jsonl (<c>sentence</c> with one <c>_</c>, <c>option1</c>, <c>option2</c>, <c>answer</c> "1" or "2"),
/// the form of allenai/winogrande, for <see cref="ChoiceScoring.Partial"/> scoring. Blank lines are skipped.
/// </summary>
public static class WinoGrandeReader
{
    /// <summary>Reads the first <paramref name="limit"/> tasks (all when null) of <paramref name="path"/>.</summary>
    /// <exception cref="TaskFileException">A line is malformed; the message names it.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static IReadOnlyList<ChoiceTask> Read(string path, int? limit = null)
    {
        var tasks = new List<ChoiceTask>();
        foreach (var (number, text) in TaskFileLines.Read(path))
        {
            if (tasks.Count == limit)
                break;
            if (text.Trim().Length == 0)
                continue;
            using var doc = JsonLine.Parse(path, number, text);
            var root = doc.RootElement;
            var sentence = JsonLine.String(path, number, root, "sentence");
            if (!sentence.Contains('_'))
                throw new TaskFileException(path, number, "\"sentence\" has no blank ('_') for the options to fill");
            string[] options = [JsonLine.String(path, number, root, "option1"), JsonLine.String(path, number, root, "option2")];
            var answer = JsonLine.Field(path, number, root, "answer");
            int gold = answer.ToString() switch
            {
                "1" => 0,
                "2" => 1,
                var other => throw new TaskFileException(path, number, $"\"answer\" must be \"1\" or \"2\", found \"{other}\""),
            };
            tasks.Add(new ChoiceTask(sentence, options, gold));
        }
        if (tasks.Count == 0)
            throw new TaskFileException(path, null, "holds no tasks");
        return tasks;
    }
}
