using System.CommandLine;
using SliceGpt.Runtime.Evaluation;
using SliceGpt.Runtime.Evaluation.Readers;

namespace SliceGpt.Cli.Commands;

/// <summary>Task options shared by <c>eval</c> and <c>slice</c>: which task, which file, how many tasks.</summary>
internal static class EvalOptions
{
    public static readonly string[] TaskNames = ["hellaswag", "jsonl", "winogrande"];

    public static Option<string> Task() => new Option<string>("--task")
    {
        Description = "hellaswag (the 6-line text or the original jsonl), jsonl (fields named by --context-field, --choices-field, --gold-field) or winogrande (jsonl, partial scoring)",
        Required = true,
    }.AcceptOnlyFromAmong(TaskNames);

    public static Option<int?> Limit(string name) => new(name) { Description = "Evaluate only the first N tasks" };

    /// <summary>The jsonl fields of <c>--task jsonl</c>; the field options are an error with any other task.</summary>
    public static JsonlFields? Fields(string task, string? context, string? choices, string? gold)
    {
        if (task != "jsonl")
        {
            if (context is not null || choices is not null || gold is not null)
                throw new CliUsageException($"--context-field, --choices-field and --gold-field apply to --task jsonl, not {task}");
            return null;
        }
        if (context is null || choices is null || gold is null)
            throw new CliUsageException("--task jsonl needs --context-field, --choices-field and --gold-field");
        var names = choices.Split(',', StringSplitOptions.TrimEntries);
        if (names.Any(n => n.Length == 0))
            throw new CliUsageException($"--choices-field has an empty field name: \"{choices}\"");
        return new JsonlFields(context, names, gold);
    }

    /// <summary>Reads the tasks of <paramref name="task"/> from <paramref name="path"/>.</summary>
    public static IReadOnlyList<ChoiceTask> ReadTasks(string task, string path, int? limit, JsonlFields? fields)
    {
        if (limit is int n && n < 1)
            throw new CliUsageException($"--limit must be at least 1, got {n}");
        return task switch
        {
            "hellaswag" => HellaSwagReader.Read(path, limit),
            "jsonl" => JsonlTaskReader.Read(path, fields!, limit),
            "winogrande" => WinoGrandeReader.Read(path, limit),
            _ => throw new CliUsageException($"--task must be one of {string.Join(", ", TaskNames)}, got {task}"),
        };
    }

    public static ChoiceScoring Scoring(string task) => task == "winogrande" ? ChoiceScoring.Partial : ChoiceScoring.Continuation;
}
