using Microsoft.Extensions.AI;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Serving;
using SliceGpt.Runtime.Tokenization;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Extensions.AI.Tests;

/// <summary>
/// The IChatClient on the real stories260K model (CPU, fp32). The model has no chat template; the one given here renders a
/// user message as BOS + its text, so a chat turn is exactly a story prompt and greedy replies can be checked against
/// <see cref="TextGenerator"/>.
/// </summary>
public class SliceGptChatClientTests
{
    private const string StoryTemplate = "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% if not loop.last %} {% endif %}{% endfor %}";

    private ITokenizer _tokenizer = null!;
    private IExecutableModel _model = null!;
    private InferenceEngine _engine = null!;
    private SliceGptChatClient _client = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _tokenizer = TokenizerLoader.Load(SharedPaths.Get("models", "stories260K", "tok512.bin"));
        _model = new CpuBackend().Prepare(ModelLoader.Load<float>(SharedPaths.Get("models", "stories260K", "stories260K.bin")));
        _engine = new InferenceEngine(_model, _tokenizer, new EngineOptions { MaxConcurrentSequences = 4 });
        _client = new SliceGptChatClient(_engine, _tokenizer, ChatTemplate.Parse(StoryTemplate, "story template"), "stories260K");
    }

    [OneTimeTearDown]
    public void Unload()
    {
        _engine.Dispose();
        _model.Dispose();
    }

    private static ChatOptions Greedy(int maxTokens) => new() { Temperature = 0, MaxOutputTokens = maxTokens };

    [Test]
    public async Task AGreedyReply_EqualsTextGenerator_WithUsageAndFinishReason()
    {
        var response = await _client.GetResponseAsync("Once upon a time", Greedy(30));
        var (text, promptTokens) = Alone("Once upon a time", 30);
        Assert.That(response.Text, Is.EqualTo(text));
        Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Length));
        Assert.That(response.Usage!.InputTokenCount, Is.EqualTo(promptTokens));
        Assert.That((response.Usage.OutputTokenCount, response.Usage.TotalTokenCount), Is.EqualTo((30L, promptTokens + 30L)));
        Assert.That(response.ModelId, Is.EqualTo("stories260K"));
        Assert.That(response.Messages.Single().Role, Is.EqualTo(ChatRole.Assistant));
    }

    [Test]
    public async Task AStream_ConcatenatesToTheReply_AndOnlyTheLastUpdateCarriesFinishReasonAndUsage()
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _client.GetStreamingResponseAsync("Tom had a red ball", Greedy(25)))
            updates.Add(update);
        Assert.That(string.Concat(updates.Select(u => u.Text)), Is.EqualTo(Alone("Tom had a red ball", 25).Text));
        Assert.That(updates[..^1].All(u => u.FinishReason is null && !u.Contents.OfType<UsageContent>().Any()));
        Assert.That(updates[^1].FinishReason, Is.EqualTo(ChatFinishReason.Length));
        Assert.That(updates[^1].Contents.OfType<UsageContent>().Single().Details.OutputTokenCount, Is.EqualTo(25));
        var merged = updates.ToChatResponse();
        Assert.That((merged.Usage!.OutputTokenCount, merged.FinishReason), Is.EqualTo((25L, (ChatFinishReason?)ChatFinishReason.Length)));
    }

    [Test]
    public async Task ConcurrentCalls_GetTheirOwnReplies()
    {
        string[] prompts = ["Lily wanted to play", "The sun was hot", "One day, a cat", "The little bird", "It was a rainy day"];
        var replies = await Task.WhenAll(prompts.Select(p => _client.GetResponseAsync(p, Greedy(20))));
        for (int i = 0; i < prompts.Length; i++)
            Assert.That(replies[i].Text, Is.EqualTo(Alone(prompts[i], 20).Text), prompts[i]);
    }

    [Test]
    public async Task Options_AreMapped()
    {
        var full = Alone("Once upon a time", 40).Text;
        string stop = full.Substring(full.Length / 2, 4);
        var stopped = await _client.GetResponseAsync("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 40, StopSequences = [stop] });
        Assert.That((stopped.Text, stopped.FinishReason), Is.EqualTo((full[..full.IndexOf(stop, StringComparison.Ordinal)], (ChatFinishReason?)ChatFinishReason.Stop)));

        var sampled = new ChatOptions { Temperature = 1, TopP = 0.9f, TopK = 20, Seed = 3, MaxOutputTokens = 30, PresencePenalty = 0.5f, FrequencyPenalty = 0.5f };
        var a = await _client.GetResponseAsync("The sun was hot", sampled);
        var b = await _client.GetResponseAsync("The sun was hot", sampled.Clone());
        var c = await _client.GetResponseAsync("The sun was hot", new ChatOptions { Temperature = 1, Seed = 4, MaxOutputTokens = 30 });
        Assert.That(b.Text, Is.EqualTo(a.Text), "the same seed draws the same reply");
        Assert.That(c.Text, Is.Not.EqualTo(a.Text));

        // Instructions lead the conversation: the template joins the turns with a space.
        var instructed = await _client.GetResponseAsync("upon a time", new ChatOptions { Instructions = "Once", Temperature = 0, MaxOutputTokens = 30 });
        Assert.That(instructed.Text, Is.EqualTo(Alone("Once upon a time", 30).Text));

        var extra = new ChatOptions { Temperature = 0, MaxOutputTokens = 5, AdditionalProperties = new() { ["stop_token_ids"] = new[] { _tokenizer.Encode(full, false)[2] } } };
        var byToken = await _client.GetResponseAsync("Once upon a time", extra);
        Assert.That(byToken.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
    }

    [Test]
    public void WhatTheEngineCannotHonour_IsRefusedByName()
    {
        Assert.Multiple(() =>
        {
            Refuse<NotSupportedException>(new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] }, "Tools");
            Refuse<NotSupportedException>(new ChatOptions { ResponseFormat = ChatResponseFormat.Json }, "ResponseFormat");
            Refuse<NotSupportedException>(new ChatOptions { ConversationId = "c1" }, "ConversationId");
            Refuse<NotSupportedException>(new ChatOptions { ToolMode = ChatToolMode.RequireAny }, "ToolMode");
            Refuse<ArgumentException>(new ChatOptions { ModelId = "gpt-4o" }, "gpt-4o");
            var image = new ChatMessage(ChatRole.User, [new TextContent("look"), new DataContent(new byte[] { 1 }, "image/png")]);
            Assert.That(() => _client.GetResponseAsync([image]), Throws.InstanceOf<NotSupportedException>().With.Message.Contains("DataContent"));
            Assert.That(() => _client.GetResponseAsync("a", new ChatOptions { MaxOutputTokens = 0 }),
                Throws.InstanceOf<GenerationRejectedException>().With.Property(nameof(GenerationRejectedException.Parameter)).EqualTo("max_tokens"));
        });
    }

    [Test]
    public async Task CancellingAStream_ThrowsAndFreesTheBlocks()
    {
        using var cts = new CancellationTokenSource();
        int seen = 0;
        Assert.That(async () =>
        {
            await foreach (var update in _client.GetStreamingResponseAsync("Sam went to the park", new ChatOptions { MaxOutputTokens = 400, AdditionalProperties = new() { ["ignore_eos"] = true } }, cts.Token))
                if (++seen == 3)
                    await cts.CancelAsync();
        }, Throws.InstanceOf<OperationCanceledException>());
        await WaitUntil(() => _engine.KvBlocks.Used == 0);
        Assert.That(_engine.KvBlocks.Used, Is.Zero);
    }

    [Test]
    public void GetService_ReturnsTheEngineTheTemplateAndTheMetadata()
    {
        Assert.That(_client.GetService<InferenceEngine>(), Is.SameAs(_engine));
        Assert.That(_client.GetService<ChatTemplate>()!.Origin, Is.EqualTo("story template"));
        Assert.That(_client.GetService<ChatClientMetadata>()!.DefaultModelId, Is.EqualTo("stories260K"));
        Assert.That(_client.GetService<IChatClient>(), Is.SameAs(_client));
        Assert.That(_client.GetService<InferenceEngine>("key"), Is.Null);
    }

    private void Refuse<T>(ChatOptions options, string named) where T : Exception =>
        Assert.That(() => _client.GetResponseAsync("a", options), Throws.InstanceOf<T>().With.Message.Contains(named));

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++)
            await Task.Delay(10);
    }

    // The greedy continuation of `prompt` run alone through TextGenerator, and the prompt's token count (BOS included).
    private (string Text, int PromptTokens) Alone(string prompt, int steps)
    {
        using var session = _model.CreateSession(1, _model.Config.MaxSeqLen);
        var result = TextGenerator.Generate(session, _tokenizer, prompt, new GenerationOptions(Steps: steps));
        string text = _tokenizer.Decode(result.Tokens)[_tokenizer.Decode(result.Tokens[..result.PromptTokens]).Length..];
        return (text, result.PromptTokens);
    }
}
