using System.CommandLine;
using SliceGpt.Runtime.Diagnostics;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Cli.Commands;

/// <summary><c>slicegpt generate</c>: text from a prompt (or from BOS), greedy or sampled with a seed.</summary>
internal static class GenerateCommand
{
    public sealed record GenerateResult(string Text, int[] Tokens, int PromptTokens, double TokensPerSecond, string Backend);

    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var tokenizer = CommonOptions.Tokenizer();
        var prompt = new Option<string>("--prompt") { Description = "Text to continue (default: start from BOS)", DefaultValueFactory = _ => "" };
        var steps = new Option<int>("--steps") { Description = "Maximum number of new tokens", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 is greedy", DefaultValueFactory = _ => 0f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass in (0, 1]", DefaultValueFactory = _ => 0.9f };
        var seed = new Option<ulong>("--seed") { Description = "Sampler seed", DefaultValueFactory = _ => 42UL };
        var json = CommonOptions.Json();
        var device = DeviceOptions.Device();
        var precision = DeviceOptions.Precision();
        var command = new Command("generate", "Generate text") { model, tokenizer, prompt, steps, temperature, topP, seed, device, precision, json };
        command.SetAction(parse =>
        {
            var modelPath = parse.GetValue(model)!;
            var options = new GenerationOptions(parse.GetValue(steps), parse.GetValue(temperature), parse.GetValue(topP), parse.GetValue(seed));
            if (options.Steps < 0)
                throw new CliUsageException($"--steps must be ≥ 0, got {options.Steps}");
            if (!(options.Temperature >= 0) || float.IsInfinity(options.Temperature))
                throw new CliUsageException($"--temperature must be a finite number ≥ 0, got {options.Temperature}");
            if (!(options.TopP > 0 && options.TopP <= 1))
                throw new CliUsageException($"--top-p must be in (0, 1], got {options.TopP}");
            var tokenizerPath = ModelInputs.TokenizerPath(modelPath, parse.GetValue(tokenizer));
            var config = ModelLoader.ReadConfig(modelPath);
            var tok = ModelInputs.LoadTokenizer(modelPath, tokenizerPath, config);
            int promptLength = ModelInputs.Encode(tok, parse.GetValue(prompt)!, "--prompt").Length;
            if (promptLength == 0)
                throw new CliUsageException("--prompt encodes to no tokens and the tokenizer adds no BOS token to start from; give a prompt");
            if (promptLength + options.Steps > config.MaxSeqLen)
                throw new CliUsageException($"{promptLength} prompt tokens + --steps {options.Steps} exceed the model's {config.MaxSeqLen} positions");
            int maxSeq = promptLength + options.Steps;
            var loaded = ModelLoader.Load<float>(modelPath);
            bool asJson = parse.GetValue(json);
            using var backend = DeviceOptions.Resolve(parse.GetValue(device)!, parse.GetValue(precision), loaded.Config.StorageDType);
            using var executable = NonFiniteGuard.Checked(backend.Prepare(loaded), loaded);
            using var session = executable.CreateSession(1, Math.Max(1, maxSeq));
            var result = TextGenerator.Generate(session, tok, parse.GetValue(prompt)!, options);
            int generated = result.Tokens.Length - result.PromptTokens;
            double rate = result.Seconds > 0 ? generated / result.Seconds : 0;
            if (asJson)
                JsonOutput.Write(context.Out, new GenerateResult(result.Text, result.Tokens, result.PromptTokens, rate, result.Backend));
            else
            {
                context.Out.WriteLine(result.Text);
                context.Err.WriteLine($"{generated} tokens, {rate:F1} tokens/s on {result.Backend}");
            }
            return CliApp.Success;
        });
        return command;
    }
}
