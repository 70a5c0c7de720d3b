using System.CommandLine;
using SliceGpt.Runtime.Evaluation;
using SliceGpt.Runtime.Evaluation.Readers;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Cli.Commands;

/// <summary><c>slicegpt eval</c>: zero-shot multiple-choice accuracy (HellaSwag, lm-evaluation-harness-style jsonl, WinoGrande).</summary>
internal static class EvalCommand
{
    public sealed record EvalResult(string Task, double Acc, double AccNorm, double? AccStderr, double? AccNormStderr, int Tasks,
        string Backend, double Seconds);

    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var tokenizer = CommonOptions.Tokenizer();
        var task = EvalOptions.Task();
        var data = new Option<string>("--data") { Description = "The task file", Required = true };
        var limit = EvalOptions.Limit("--limit");
        var contextField = new Option<string?>("--context-field") { Description = "--task jsonl: the context's field (a dotted path reaches nested objects)" };
        var choicesField = new Option<string?>("--choices-field") { Description = "--task jsonl: a field holding an array of strings, or several string fields separated by commas" };
        var goldField = new Option<string?>("--gold-field") { Description = "--task jsonl: the gold choice's index, or its text" };
        var maxLength = new Option<int?>("--max-length") { Description = "Longest model input; longer requests lose their oldest context tokens (default: the model's positions)" };
        var json = CommonOptions.Json();
        var device = DeviceOptions.Device();
        var precision = DeviceOptions.Precision();
        var command = new Command("eval", "Zero-shot multiple-choice accuracy, scored as lm-evaluation-harness scores it")
        {
            model, tokenizer, task, data, limit, contextField, choicesField, goldField, maxLength, device, precision, json,
        };
        command.SetAction(parse =>
        {
            var modelPath = parse.GetValue(model)!;
            var taskName = parse.GetValue(task)!;
            if (parse.GetValue(maxLength) is int m && m < 1)
                throw new CliUsageException($"--max-length must be at least 1, got {m}");
            var fields = EvalOptions.Fields(taskName, parse.GetValue(contextField), parse.GetValue(choicesField), parse.GetValue(goldField));
            var tokenizerPath = ModelInputs.TokenizerPath(modelPath, parse.GetValue(tokenizer));
            var config = ModelLoader.ReadConfig(modelPath);
            if (parse.GetValue(maxLength) is int length && length > config.MaxSeqLen)
                throw new CliUsageException($"--max-length {length} exceeds the model's {config.MaxSeqLen} positions");
            var tasks = EvalOptions.ReadTasks(taskName, parse.GetValue(data)!, parse.GetValue(limit), fields);
            var tok = ModelInputs.LoadTokenizer(modelPath, tokenizerPath, config);
            var loaded = ModelLoader.Load<float>(modelPath);
            using var backend = DeviceOptions.Resolve(parse.GetValue(device)!, parse.GetValue(precision), loaded.Config.StorageDType);
            using var executable = backend.Prepare(loaded);
            using var bar = TerminalProgress.Create(context.Err, "tasks");
            var result = ChoiceEvaluator.Evaluate(executable, tok, tasks, EvalOptions.Scoring(taskName),
                new EvaluationOptions { MaxLength = parse.GetValue(maxLength) }, bar);
            bar?.Finish();
            var summary = new EvalResult(taskName, result.Acc, result.AccNorm, result.AccStderr, result.AccNormStderr, result.Tasks,
                result.Backend, result.Seconds);
            if (parse.GetValue(json))
                JsonOutput.Write(context.Out, summary);
            else
                context.Out.WriteLine($"{taskName}: acc {Format(result.Acc, result.AccStderr)}, acc_norm {Format(result.AccNorm, result.AccNormStderr)} " +
                    $"over {result.Tasks} tasks on {result.Backend}, {result.Seconds:F1} s");
            return CliApp.Success;
        });
        return command;
    }

    private static string Format(double value, double? stderr) => stderr is double e ? $"{value:F4} ± {e:F4}" : $"{value:F4}";
}
