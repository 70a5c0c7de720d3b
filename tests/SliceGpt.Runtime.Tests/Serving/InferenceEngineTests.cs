using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Serving;
using SliceGpt.Runtime.Tokenization;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Runtime.Tests.Serving;

/// <summary>
/// The engine on the real stories260K model (fp32, CPU): continuous batching must not change a request's greedy output,
/// stop conditions and cancellation end requests as documented, and every KV block comes back.
/// </summary>
public class InferenceEngineTests
{
    private static readonly string[] Prompts =
    [
        "Once upon a time", "Tom had a red ball", "The sun was hot", "Lily wanted to play",
        "One day, a cat", "The little bird", "Sam and his mom went to the park", "It was a rainy day",
    ];

    private ITokenizer _tokenizer = null!;
    private IExecutableModel _model = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _tokenizer = TokenizerLoader.Load(SharedPaths.Get("models", "stories260K", "tok512.bin"));
        _model = new CpuBackend().Prepare(ModelLoader.Load<float>(SharedPaths.Get("models", "stories260K", "stories260K.bin")));
    }

    [OneTimeTearDown]
    public void Unload() => _model.Dispose();

    [Test]
    public async Task AGreedyCompletion_EqualsTextGenerator()
    {
        using var engine = new InferenceEngine(_model, _tokenizer);
        var result = await engine.CompleteAsync(new GenerationRequest { Prompt = Prompts[0], MaxTokens = 60 });
        var expected = Alone(Prompts[0], 60);
        Assert.That(result.TokenIds, Is.EqualTo(expected.Tokens));
        Assert.That(result.Text, Is.EqualTo(expected.Text));
        Assert.That(result.Usage.PromptTokens, Is.EqualTo(_tokenizer.Encode(Prompts[0], true).Length));
        Assert.That(result.Backend, Does.StartWith("cpu"));
    }

    [Test]
    public async Task ConcurrentRequests_GetTheirAloneOutputs_AndEveryBlockComesBack()
    {
        // Eight requests batched in one engine, each with its own length limit, against each run alone in a session of its own.
        using var engine = new InferenceEngine(_model, _tokenizer, new EngineOptions { MaxConcurrentSequences = 4, MaxTokensPerStep = 7 });
        var tasks = Prompts.Select((p, i) => engine.CompleteAsync(new GenerationRequest { Prompt = p, MaxTokens = 20 + 5 * i })).ToArray();
        var results = await Task.WhenAll(tasks);
        for (int i = 0; i < Prompts.Length; i++)
        {
            var alone = Alone(Prompts[i], 20 + 5 * i);
            Assert.That(results[i].TokenIds, Is.EqualTo(alone.Tokens), $"request {i}");
            Assert.That(results[i].Text, Is.EqualTo(alone.Text), $"request {i}");
        }
        Assert.That(engine.KvBlocks.Used, Is.Zero);
        Assert.That((engine.RunningCount, engine.WaitingCount), Is.EqualTo((0, 0)));
    }

    [Test]
    public async Task StreamedDeltas_ConcatenateToTheResult_AndTheLastCarriesTheUsage()
    {
        using var engine = new InferenceEngine(_model, _tokenizer);
        var request = new GenerationRequest { Prompt = Prompts[1], MaxTokens = 40 };
        var updates = new List<GenerationUpdate>();
        await foreach (var update in engine.GenerateAsync(request))
            updates.Add(update);
        Assert.That(updates[..^1].All(u => u.FinishReason is null && u.Usage is null));
        Assert.That(updates[^1].FinishReason, Is.Not.Null);
        Assert.That(string.Concat(updates.Select(u => u.Text)), Is.EqualTo(Alone(Prompts[1], 40).Text));
        Assert.That(updates.Sum(u => u.TokenIds.Count), Is.EqualTo(updates[^1].Usage!.CompletionTokens));
    }

    [Test]
    public async Task AStopString_EndsTheTextBeforeIt()
    {
        using var engine = new InferenceEngine(_model, _tokenizer);
        var full = Alone(Prompts[0], 60).Text;
        // A stop string taken from the middle of the greedy continuation.
        var stop = full.Substring(full.Length / 2, 5);
        var result = await engine.CompleteAsync(new GenerationRequest { Prompt = Prompts[0], MaxTokens = 60, StopStrings = [stop] });
        Assert.That(result.FinishReason, Is.EqualTo(FinishReason.Stop));
        Assert.That(result.Text, Is.EqualTo(full[..full.IndexOf(stop, StringComparison.Ordinal)]));
    }

    [Test]
    public async Task TheLengthLimit_AndStopTokens_EndRequests()
    {
        using var engine = new InferenceEngine(_model, _tokenizer);
        var limited = await engine.CompleteAsync(new GenerationRequest { Prompt = Prompts[2], MaxTokens = 5 });
        Assert.That((limited.FinishReason, limited.TokenIds.Count), Is.EqualTo((FinishReason.Length, 5)));
        int third = limited.TokenIds[2];
        var stopped = await engine.CompleteAsync(new GenerationRequest { Prompt = Prompts[2], MaxTokens = 5, StopTokenIds = [third] });
        Assert.That(stopped.FinishReason, Is.EqualTo(FinishReason.Stop));
        Assert.That(stopped.TokenIds, Is.EqualTo(limited.TokenIds.Take(3)), "the stop token is reported but ends the completion");
        Assert.That(stopped.Text, Is.EqualTo(_tokenizer.Decode([.. _tokenizer.Encode(Prompts[2], true), .. limited.TokenIds.Take(2)])[Prompts[2].Length..]));
    }

    [Test]
    public async Task ACancelledRequest_StopsAndFreesItsBlocks_AndTheNextOneIsRight()
    {
        using var engine = new InferenceEngine(_model, _tokenizer, new EngineOptions { MaxConcurrentSequences = 2 });
        using var cts = new CancellationTokenSource();
        var stream = engine.Submit(new GenerationRequest { Prompt = Prompts[3], MaxTokens = 200, IgnoreEos = true }, cts.Token);
        var seen = new List<GenerationUpdate>();
        await foreach (var update in stream)
        {
            seen.Add(update);
            if (seen.Sum(u => u.TokenIds.Count) >= 3 && update.FinishReason is null)
                cts.Cancel();
        }
        Assert.That(seen[^1].FinishReason, Is.EqualTo(FinishReason.Cancelled));
        Assert.That(seen[^1].Usage!.CompletionTokens, Is.LessThan(200));
        Assert.That(engine.KvBlocks.Used, Is.Zero, "a cancelled request's blocks return to the pool");
        var next = await engine.CompleteAsync(new GenerationRequest { Prompt = Prompts[4], MaxTokens = 30 });
        Assert.That(next.TokenIds, Is.EqualTo(Alone(Prompts[4], 30).Tokens));
    }

    [Test]
    public void BadRequests_AreRefusedBeforeAnyToken()
    {
        using var engine = new InferenceEngine(_model, _tokenizer, new EngineOptions { MaxContext = 64 });
        Assert.Multiple(() =>
        {
            Reject(engine, new GenerationRequest(), RejectionKind.InvalidRequest, "prompt");
            Reject(engine, new GenerationRequest { Prompt = "a", PromptTokens = [1] }, RejectionKind.InvalidRequest, "prompt");
            Reject(engine, new GenerationRequest { PromptTokens = [1, 9999] }, RejectionKind.InvalidRequest, "prompt");
            Reject(engine, new GenerationRequest { Prompt = "a", MaxTokens = 0 }, RejectionKind.InvalidRequest, "max_tokens");
            Reject(engine, new GenerationRequest { Prompt = "a", MaxTokens = 64 }, RejectionKind.ContextLengthExceeded, "max_tokens");
            Reject(engine, new GenerationRequest { PromptTokens = Enumerable.Repeat(1, 64).ToArray() }, RejectionKind.ContextLengthExceeded, "prompt");
            Reject(engine, new GenerationRequest { Prompt = "a", Sampling = new SamplingParameters { Temperature = -1 } }, RejectionKind.InvalidRequest, "temperature");
            Reject(engine, new GenerationRequest { Prompt = "a", Sampling = new SamplingParameters { TopP = 0 } }, RejectionKind.InvalidRequest, "top_p");
            Reject(engine, new GenerationRequest { Prompt = "a", Sampling = new SamplingParameters { PresencePenalty = 3 } }, RejectionKind.InvalidRequest, "presence_penalty");
        });
    }

    [Test]
    public async Task AFullQueue_RefusesAsOverloaded()
    {
        using var engine = new InferenceEngine(_model, _tokenizer, new EngineOptions { MaxConcurrentSequences = 1, MaxQueuedRequests = 1 });
        using var cts = new CancellationTokenSource();
        var running = engine.Submit(new GenerationRequest { Prompt = "a", MaxTokens = 200, IgnoreEos = true }, cts.Token);
        while (engine.RunningCount == 0)
            await Task.Delay(1);
        var queued = engine.Submit(new GenerationRequest { Prompt = "b", MaxTokens = 2 });
        Reject(engine, new GenerationRequest { Prompt = "c", MaxTokens = 2 }, RejectionKind.Overloaded, null);
        cts.Cancel();
        Assert.That((await running.ToResultAsync()).FinishReason, Is.EqualTo(FinishReason.Cancelled));
        Assert.That((await queued.ToResultAsync()).TokenIds, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task NoQueue_AdmitsWhileASlotIsFree_AndRefusesWhenAllAreBusy()
    {
        // MaxQueuedRequests 0: nothing waits for a slot, but a request that finds a free slot is not "waiting".
        using var engine = new InferenceEngine(_model, _tokenizer, new EngineOptions { MaxConcurrentSequences = 1, MaxQueuedRequests = 0 });
        Assert.That((await engine.CompleteAsync(new GenerationRequest { Prompt = "a", MaxTokens = 2 })).TokenIds, Has.Count.EqualTo(2));
        using var cts = new CancellationTokenSource();
        var running = engine.Submit(new GenerationRequest { Prompt = "a", MaxTokens = 200, IgnoreEos = true }, cts.Token);
        while (engine.RunningCount == 0)
            await Task.Delay(1);
        Reject(engine, new GenerationRequest { Prompt = "b", MaxTokens = 2 }, RejectionKind.Overloaded, null);
        cts.Cancel();
        Assert.That((await running.ToResultAsync()).FinishReason, Is.EqualTo(FinishReason.Cancelled));
    }

    [Test]
    public async Task SeededSampling_IsReproducible()
    {
        using var engine = new InferenceEngine(_model, _tokenizer);
        var sampling = new SamplingParameters { Temperature = 0.9, TopP = 0.9, TopK = 40, MinP = 0.02, RepetitionPenalty = 1.1, Seed = 7 };
        var a = await engine.CompleteAsync(new GenerationRequest { Prompt = Prompts[5], MaxTokens = 40, Sampling = sampling });
        var b = await engine.CompleteAsync(new GenerationRequest { Prompt = Prompts[5], MaxTokens = 40, Sampling = sampling });
        var c = await engine.CompleteAsync(new GenerationRequest { Prompt = Prompts[5], MaxTokens = 40, Sampling = sampling with { Seed = 8 } });
        Assert.That(b.TokenIds, Is.EqualTo(a.TokenIds));
        Assert.That(c.TokenIds, Is.Not.EqualTo(a.TokenIds), "another seed draws another continuation");
    }

    [Test]
    public void ADisposedEngine_RefusesWork()
    {
        var engine = new InferenceEngine(_model, _tokenizer);
        engine.Dispose();
        engine.Dispose();
        Assert.That(() => engine.Submit(new GenerationRequest { Prompt = "a" }), Throws.InstanceOf<ObjectDisposedException>());
    }

    private static void Reject(InferenceEngine engine, GenerationRequest request, RejectionKind kind, string? parameter)
    {
        var e = Assert.Throws<GenerationRejectedException>(() => engine.Submit(request))!;
        Assert.That((e.Kind, e.Parameter), Is.EqualTo((kind, parameter)), e.Message);
    }

    // The request run alone through TextGenerator (greedy, a session of its own): its new tokens and their text.
    private (int[] Tokens, string Text) Alone(string prompt, int steps)
    {
        using var session = _model.CreateSession(1, _model.Config.MaxSeqLen);
        var result = TextGenerator.Generate(session, _tokenizer, prompt, new GenerationOptions(Steps: steps));
        var tokens = result.Tokens[result.PromptTokens..];
        var promptIds = result.Tokens[..result.PromptTokens];
        string text = _tokenizer.Decode(result.Tokens)[_tokenizer.Decode(promptIds).Length..];
        return (tokens, text);
    }
}
