using System.CommandLine;
using SliceGpt.Runtime.Diagnostics;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Cli.Commands;

/// <summary><c>slicegpt ppl</c>: perplexity with SliceGPT's protocol (non-overlapping rows, each predicting its own tokens).</summary>
internal static class PerplexityCommand
{
    public sealed record PplResult(double Ppl, int Rows, long Tokens, int Seqlen, string Backend, double Seconds);

    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var tokenizer = CommonOptions.Tokenizer();
        var data = new Option<string>("--data") { Description = "UTF-8 text file to evaluate", Required = true };
        var seqLen = new Option<int>("--seqlen") { Description = "Tokens per row", DefaultValueFactory = _ => 2048 };
        var maxRows = new Option<int?>("--max-rows") { Description = "Evaluate at most this many rows" };
        var batch = new Option<int>("--batch") { Description = "Rows per forward pass", DefaultValueFactory = _ => 1 };
        var json = CommonOptions.Json();
        var device = DeviceOptions.Device();
        var precision = DeviceOptions.Precision();
        var command = new Command("ppl", "Perplexity of a model on a text file") { model, tokenizer, data, seqLen, maxRows, batch, device, precision, json };
        command.SetAction(parse =>
        {
            var modelPath = parse.GetValue(model)!;
            int rowLength = parse.GetValue(seqLen);
            if (rowLength < 2)
                throw new CliUsageException($"--seqlen must be at least 2, got {rowLength}");
            if (parse.GetValue(maxRows) is int m && m < 1)
                throw new CliUsageException($"--max-rows must be at least 1, got {m}");
            if (parse.GetValue(batch) < 1)
                throw new CliUsageException($"--batch must be at least 1, got {parse.GetValue(batch)}");
            var dataPath = parse.GetValue(data)!;
            var tokenizerPath = ModelInputs.TokenizerPath(modelPath, parse.GetValue(tokenizer));
            var config = ModelLoader.ReadConfig(modelPath);
            if (rowLength > config.MaxSeqLen)
                throw new CliUsageException($"--seqlen {rowLength} exceeds the model's {config.MaxSeqLen} positions");
            var tok = ModelInputs.LoadTokenizer(modelPath, tokenizerPath, config);
            var ids = ModelInputs.Encode(tok, ModelInputs.ReadText(dataPath), dataPath);
            ModelInputs.RequireOneRow(ids, rowLength, dataPath, "--seqlen");
            var loaded = ModelLoader.Load<float>(modelPath);
            using var backend = DeviceOptions.Resolve(parse.GetValue(device)!, parse.GetValue(precision), loaded.Config.StorageDType);
            using var executable = NonFiniteGuard.Checked(backend.Prepare(loaded), loaded);
            var result = PerplexityEvaluator.Evaluate(executable, ids, rowLength, parse.GetValue(maxRows), parse.GetValue(batch));
            if (parse.GetValue(json))
                JsonOutput.Write(context.Out, new PplResult(result.Perplexity, result.Rows, result.Tokens, result.SeqLen, result.Backend, result.Seconds));
            else
                context.Out.WriteLine($"perplexity {result.Perplexity:F4} over {result.Rows} rows of {result.SeqLen} tokens ({result.Tokens:N0} predictions) on {result.Backend}, {result.Seconds:F1} s");
            return CliApp.Success;
        });
        return command;
    }
}
