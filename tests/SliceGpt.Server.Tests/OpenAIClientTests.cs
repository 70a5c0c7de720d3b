using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using SliceGpt.Runtime.Serving;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace SliceGpt.Server.Tests;

/// <summary>
/// The official OpenAI .NET client (OpenAI 2.15.0) and an IChatClient built from it (Microsoft.Extensions.AI.OpenAI)
/// against the server: what they send must be accepted, and what the server answers must parse into the same text,
/// finish reason and usage that <see cref="Runtime.Inference.TextGenerator"/> gives for the prompt alone.
/// </summary>
public class OpenAIClientTests
{
    private ServerFixture _server = null!;
    private OpenAIClient _openAI = null!;
    private ChatClient _chat = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await ServerFixture.StartAsync(new EngineOptions { MaxConcurrentSequences = 4 });
        _openAI = new OpenAIClient(new ApiKeyCredential("not-checked"), new OpenAIClientOptions
        {
            Endpoint = new Uri(_server.BaseAddress, "v1"),
            NetworkTimeout = TimeSpan.FromSeconds(60),
        });
        _chat = _openAI.GetChatClient(ServerFixture.ModelName);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private static ChatCompletionOptions Greedy(int maxTokens) => new() { Temperature = 0, MaxOutputTokenCount = maxTokens };

    [Test]
    public async Task ChatCompletion_IsTheGreedyContinuation_WithUsageAndFinishReason()
    {
        ChatCompletion completion = await _chat.CompleteChatAsync([new UserChatMessage("Once upon a time")], Greedy(24));
        var (text, promptTokens) = _server.Alone("Once upon a time", 24);
        Assert.That(completion.Content.Single().Text, Is.EqualTo(text));
        Assert.That(completion.FinishReason, Is.EqualTo(ChatFinishReason.Length));
        Assert.That((completion.Usage.InputTokenCount, completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount),
            Is.EqualTo((promptTokens, 24, promptTokens + 24)));
        Assert.That(completion.Model, Is.EqualTo(ServerFixture.ModelName));
        Assert.That(completion.Role, Is.EqualTo(ChatMessageRole.Assistant));
    }

    [Test]
    public async Task StreamingChat_ConcatenatesToTheContinuation_AndEndsWithUsage()
    {
        var text = new System.Text.StringBuilder();
        var updates = new List<StreamingChatCompletionUpdate>();
        await foreach (var update in _chat.CompleteChatStreamingAsync([new UserChatMessage("Tom had a red ball")], Greedy(20)))
        {
            updates.Add(update);
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
        }
        Assert.That(text.ToString(), Is.EqualTo(_server.Alone("Tom had a red ball", 20).Text));
        Assert.That(updates.Count(u => u.FinishReason is not null), Is.EqualTo(1));
        Assert.That(updates.Single(u => u.FinishReason is not null).FinishReason, Is.EqualTo(ChatFinishReason.Length));
        Assert.That(updates[^1].Usage?.OutputTokenCount, Is.EqualTo(20), "the client asks for include_usage; the last chunk carries it");
    }

    [Test]
    public async Task AnIChatClientFromTheOpenAIClient_StreamsAndCompletes()
    {
        IChatClient client = _chat.AsIChatClient();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 18 };
        var expected = _server.Alone("The sun was hot", 18).Text;

        var response = await client.GetResponseAsync([new AIChatMessage(AIChatRole.User, "The sun was hot")], options);
        Assert.That(response.Text, Is.EqualTo(expected));
        Assert.That((response.FinishReason, response.Usage?.OutputTokenCount), Is.EqualTo(((Microsoft.Extensions.AI.ChatFinishReason?)Microsoft.Extensions.AI.ChatFinishReason.Length, (long?)18)));

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new AIChatMessage(AIChatRole.User, "The sun was hot")], options))
            updates.Add(update);
        Assert.That(string.Concat(updates.Select(u => u.Text)), Is.EqualTo(expected));
        var merged = updates.ToChatResponse();
        Assert.That((merged.FinishReason, merged.Usage?.OutputTokenCount), Is.EqualTo(((Microsoft.Extensions.AI.ChatFinishReason?)Microsoft.Extensions.AI.ChatFinishReason.Length, (long?)18)));
        Assert.That(updates.SelectMany(u => u.Contents).OfType<UsageContent>().Count(), Is.EqualTo(1));
    }

    [Test]
    public async Task ConcurrentClients_GetTheirOwnContinuations()
    {
        string[] prompts = ["Lily wanted to play", "One day, a cat", "The little bird", "It was a rainy day", "Sam and his mom went to the park", "Tom had a red ball"];
        var tasks = prompts.Select(async (prompt, i) =>
        {
            if (i % 2 == 0)
                return (await _chat.CompleteChatAsync([new UserChatMessage(prompt)], Greedy(16))).Value.Content.Single().Text;
            var text = "";
            await foreach (var update in _chat.CompleteChatStreamingAsync([new UserChatMessage(prompt)], Greedy(16)))
                text += string.Concat(update.ContentUpdate.Select(p => p.Text));
            return text;
        }).ToArray();
        var texts = await Task.WhenAll(tasks);
        for (int i = 0; i < prompts.Length; i++)
            Assert.That(texts[i], Is.EqualTo(_server.Alone(prompts[i], 16).Text), prompts[i]);
        await _server.WaitUntilIdleAsync();
        Assert.That(_server.Engine.KvBlocks.Used, Is.Zero);
    }

    [Test]
    public async Task Errors_ReachTheClientWithTheirStatus()
    {
        var unknownModel = (await Assert.ThrowsAsync<ClientResultException>(() => _openAI.GetChatClient("gpt-4o").CompleteChatAsync([new UserChatMessage("hi")])))!;
        Assert.That(unknownModel.Status, Is.EqualTo(404));
        Assert.That(unknownModel.Message, Does.Contain("model_not_found"));

        var tooLong = (await Assert.ThrowsAsync<ClientResultException>(() => _chat.CompleteChatAsync([new UserChatMessage(string.Join(' ', Enumerable.Repeat("cat", 600)))])))!;
        Assert.That(tooLong.Status, Is.EqualTo(400));
        Assert.That(tooLong.Message, Does.Contain("context_length_exceeded"));

        var refused = (await Assert.ThrowsAsync<ClientResultException>(() => _chat.CompleteChatAsync([new SystemChatMessage("be brief"), new UserChatMessage("hi")])))!;
        Assert.That(refused.Status, Is.EqualTo(400));
        Assert.That(refused.Message, Does.Contain("this model takes no system messages"));

        var zero = (await Assert.ThrowsAsync<ClientResultException>(() => _chat.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 0 })))!;
        Assert.That(zero.Status, Is.EqualTo(400));
        Assert.That(zero.Message, Does.Contain("max_tokens"));
    }

    [Test]
    public async Task TheModelList_NamesTheServedModel()
    {
        var models = (await _openAI.GetOpenAIModelClient().GetModelsAsync()).Value;
        Assert.That(models.Select(m => m.Id), Is.EqualTo(new[] { ServerFixture.ModelName }));
        Assert.That(models[0].OwnedBy, Is.EqualTo("slicegpt"));
        Assert.That((await _openAI.GetOpenAIModelClient().GetModelAsync(ServerFixture.ModelName)).Value.Id, Is.EqualTo(ServerFixture.ModelName));
    }
}
