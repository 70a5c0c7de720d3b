using System.Diagnostics;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Inference;

/// <summary>Options of <see cref="TextGenerator.Generate"/>.</summary>
/// <param name="Steps">Maximum number of new tokens.</param>
/// <param name="Temperature">0 = greedy.</param>
/// <param name="TopP">Nucleus mass, in (0, 1].</param>
/// <param name="Seed">Seed of the sampler.</param>
public sealed record GenerationOptions(int Steps = 256, float Temperature = 0f, float TopP = 0.9f, ulong Seed = 42);

/// <summary>A finished generation.</summary>
/// <param name="Text">The prompt and the continuation, decoded together.</param>
/// <param name="Tokens">Every id, prompt (with BOS) first.</param>
/// <param name="PromptTokens">How many of <paramref name="Tokens"/> are the prompt.</param>
/// <param name="Seconds">Wall time of prefill and decoding.</param>
/// <param name="Backend">The backend that computed it.</param>
public sealed record GenerationResult(string Text, int[] Tokens, int PromptTokens, double Seconds, string Backend);

/// <summary>Autoregressive generation with a KV cache, as llama2.c's <c>generate</c>.</summary>
public static class TextGenerator
{
    /// <summary>
    /// Encodes <paramref name="prompt"/> (with BOS when the tokenizer's convention adds one), then samples up to
    /// <see cref="GenerationOptions.Steps"/> tokens, stopping early at EOS or BOS.
    /// <paramref name="onToken"/> receives each new id as it is produced.
    /// </summary>
    public static GenerationResult Generate(IInferenceSession session, ITokenizer tokenizer, string prompt,
        GenerationOptions options, Action<int>? onToken = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.Steps);
        var promptIds = tokenizer.Encode(prompt, tokenizer.AddsBosByDefault);
        if (promptIds.Length == 0)
            throw new ArgumentException("the prompt encodes to no tokens and the tokenizer has no BOS to start from", nameof(prompt));
        if (promptIds.Length + options.Steps > session.MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(options), $"{promptIds.Length} prompt tokens + {options.Steps} steps exceed the session's {session.MaxSeqLen} positions");
        var sampler = new Sampler(tokenizer.VocabSize, options.Temperature, options.TopP, options.Seed);
        var tokens = new List<int>(promptIds.Length + options.Steps);
        tokens.AddRange(promptIds);
        var clock = Stopwatch.StartNew();
        session.Reset();
        var logits = session.Prefill(promptIds);
        for (int step = 0; step < options.Steps; step++)
        {
            int next = sampler.Sample(logits[..Math.Min(logits.Length, tokenizer.VocabSize)]);
            if (next == tokenizer.EosId || next == tokenizer.BosId)
                break;
            tokens.Add(next);
            onToken?.Invoke(next);
            if (step + 1 < options.Steps)
                logits = session.Step(next);
        }
        clock.Stop();
        var all = tokens.ToArray();
        return new GenerationResult(tokenizer.Decode(all), all, promptIds.Length, clock.Elapsed.TotalSeconds, session.Backend);
    }
}
