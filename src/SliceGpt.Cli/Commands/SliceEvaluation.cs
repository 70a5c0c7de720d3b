using SliceGpt.Runtime.Inference;
using System.CommandLine;
using SliceGpt.Runtime.Evaluation;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Cli.Commands;

/// <summary><c>slice</c>'s zero-shot comparison: <c>--eval-task</c>, <c>--eval-data</c>, <c>--eval-limit</c>.</summary>
internal sealed class SliceEvaluation
{
    public Option<string?> Task { get; } = new Option<string?>("--eval-task")
    {
        Description = "Zero-shot task to compare dense and sliced accuracy on: hellaswag or winogrande (with --eval-data)",
    }.AcceptOnlyFromAmong("hellaswag", "winogrande");

    public Option<string?> Data { get; } = new("--eval-data") { Description = "The --eval-task file" };

    public Option<int?> Limit { get; } = EvalOptions.Limit("--eval-limit");

    public IEnumerable<Option> Options => [Task, Data, Limit];

    /// <summary>The tasks to evaluate, or null when no task was asked for; read now so that a bad file fails before slicing.</summary>
    public IReadOnlyList<ChoiceTask>? ReadTasks(ParseResult parse)
    {
        var (task, data) = (parse.GetValue(Task), parse.GetValue(Data));
        if (task is null != data is null)
            throw new CliUsageException("--eval-task and --eval-data go together");
        if (task is null)
        {
            if (parse.GetValue(Limit) is not null)
                throw new CliUsageException("--eval-limit needs --eval-task and --eval-data");
            return null;
        }
        if (parse.GetValue(Limit) is int n && n < 1)
            throw new CliUsageException($"--eval-limit must be at least 1, got {n}");
        return EvalOptions.ReadTasks(task, data!, parse.GetValue(Limit), fields: null);
    }

    /// <summary>The accuracy of <paramref name="model"/> on <paramref name="tasks"/>.</summary>
    public ZeroShotScore Score(ParseResult parse, IComputeBackend backend, TransformerModel<float> model, ITokenizer tokenizer,
        IReadOnlyList<ChoiceTask> tasks)
    {
        using var executable = backend.Prepare(model);
        var r = ChoiceEvaluator.Evaluate(executable, tokenizer, tasks, EvalOptions.Scoring(parse.GetValue(Task)!));
        return new ZeroShotScore(r.Acc, r.AccNorm, r.AccStderr, r.AccNormStderr);
    }

    public static string Describe(ZeroShotScore s) =>
        $"acc {s.Acc:F4}{(s.AccStderr is double e ? $" ± {e:F4}" : "")}, acc_norm {s.AccNorm:F4}{(s.AccNormStderr is double n ? $" ± {n:F4}" : "")}";
}
