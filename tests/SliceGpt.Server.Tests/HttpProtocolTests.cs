using System.Net.Http.Json;
using System.Text.Json;
using SliceGpt.Runtime.Serving;

namespace SliceGpt.Server.Tests;

/// <summary>The wire protocol with a plain HTTP client: completions, server-sent events, errors, disconnects.</summary>
public class HttpProtocolTests
{
    private ServerFixture _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await ServerFixture.StartAsync(new EngineOptions { MaxConcurrentSequences = 4 });

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [Test]
    public async Task ACompletion_IsTheGreedyContinuation()
    {
        var (status, body) = await _server.PostAsync("v1/completions",
            new { model = ServerFixture.ModelName, prompt = "Once upon a time", max_tokens = 30, temperature = 0 });
        Assert.That(status, Is.EqualTo(200), body.ToString());
        var (text, promptTokens) = _server.Alone("Once upon a time", 30);
        Assert.That(body.GetProperty("object").GetString(), Is.EqualTo("text_completion"));
        var choice = body.GetProperty("choices")[0];
        Assert.That(choice.GetProperty("text").GetString(), Is.EqualTo(text));
        Assert.That(choice.GetProperty("finish_reason").GetString(), Is.EqualTo("length"));
        var usage = body.GetProperty("usage");
        Assert.That((usage.GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32()),
            Is.EqualTo((promptTokens, 30, promptTokens + 30)));
    }

    [Test]
    public async Task PromptForms_TokenIdsAndAnArrayOfOneString_GiveTheSameText()
    {
        int[] ids = _server.Tokenizer.Encode("Tom had a red ball", _server.Tokenizer.AddsBosByDefault);
        var expected = _server.Alone("Tom had a red ball", 12).Text;
        foreach (object prompt in new object[] { ids, new[] { ids }, new[] { "Tom had a red ball" } })
        {
            var (status, body) = await _server.PostAsync("v1/completions", new { prompt, max_tokens = 12, temperature = 0 });
            Assert.That(status, Is.EqualTo(200), body.ToString());
            Assert.That(body.GetProperty("choices")[0].GetProperty("text").GetString(), Is.EqualTo(expected), JsonSerializer.Serialize(prompt));
        }
    }

    [Test]
    public async Task AStreamedCompletion_SendsDeltasThenTheFinishThenUsageThenDone()
    {
        var events = await _server.StreamAsync("v1/completions", new
        {
            prompt = "The sun was hot", max_tokens = 15, temperature = 0, stream = true, stream_options = new { include_usage = true },
        });
        Assert.That(events[^1], Is.EqualTo("[DONE]"));
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        var usageChunk = chunks[^1];
        Assert.That(usageChunk.GetProperty("choices").GetArrayLength(), Is.Zero);
        Assert.That(usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), Is.EqualTo(15));
        var choices = chunks[..^1].Select(c => c.GetProperty("choices")[0]).ToList();
        Assert.That(choices.Take(choices.Count - 1).All(c => c.GetProperty("finish_reason").ValueKind == JsonValueKind.Null));
        Assert.That(choices[^1].GetProperty("finish_reason").GetString(), Is.EqualTo("length"));
        Assert.That(string.Concat(choices.Select(c => c.GetProperty("text").GetString())), Is.EqualTo(_server.Alone("The sun was hot", 15).Text));
        Assert.That(chunks.Select(c => c.GetProperty("id").GetString()).Distinct().Count(), Is.EqualTo(1), "one id for every chunk of a request");
    }

    [Test]
    public async Task AStreamedChat_StartsWithTheRole_AndWithoutIncludeUsageSendsNoUsageChunk()
    {
        var events = await _server.StreamAsync("v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "One day, a cat" } }, max_tokens = 10, temperature = 0, stream = true,
        });
        Assert.That(events[^1], Is.EqualTo("[DONE]"));
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.That(chunks.All(c => c.GetProperty("object").GetString() == "chat.completion.chunk" && c.GetProperty("choices").GetArrayLength() == 1));
        Assert.That(chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString(), Is.EqualTo("assistant"));
        Assert.That(chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString(), Is.EqualTo("length"));
        var text = string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Select(d => d.TryGetProperty("content", out var content) ? content.GetString() : ""));
        Assert.That(text, Is.EqualTo(_server.Alone("One day, a cat", 10).Text));
    }

    [Test]
    public async Task ADisconnectMidStream_CancelsTheRequest_FreesItsBlocks_AndTheNextRequestIsRight()
    {
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
        {
            Content = JsonContent.Create(new { prompt = "It was a rainy day", max_tokens = 400, ignore_eos = true, temperature = 0, stream = true }),
        })
        {
            using var response = await _server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            int events = 0;
            while (events < 3 && await reader.ReadLineAsync() is { } line)
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                    events++;
            Assert.That(events, Is.EqualTo(3));
            Assert.That(_server.Engine.RunningCount, Is.EqualTo(1), "the request is still generating when the client leaves");
        } // disposing the response closes the connection
        await _server.WaitUntilIdleAsync();
        Assert.That((_server.Engine.KvBlocks.Used, _server.Engine.RunningCount), Is.EqualTo((0, 0)), "the engine dropped the request and freed its blocks");
        var (status, body) = await _server.PostAsync("v1/completions", new { prompt = "Lily wanted to play", max_tokens = 20, temperature = 0 });
        Assert.That(status, Is.EqualTo(200));
        Assert.That(body.GetProperty("choices")[0].GetProperty("text").GetString(), Is.EqualTo(_server.Alone("Lily wanted to play", 20).Text));
    }

    [Test]
    public async Task UnknownFields_AreIgnored()
    {
        var (status, body) = await _server.PostAsync("v1/completions", new
        {
            prompt = "The little bird", max_tokens = 10, temperature = 0, user = "me", frobnicate = new { depth = new[] { 1, 2 } }, service_tier = "auto",
        });
        Assert.That(status, Is.EqualTo(200), body.ToString());
        Assert.That(body.GetProperty("choices")[0].GetProperty("text").GetString(), Is.EqualTo(_server.Alone("The little bird", 10).Text));
    }

    [TestCase("{\"prompt\": \"x\", ", null, "invalid_json")]
    [TestCase("[1, 2]", null, "invalid_json")]
    [TestCase("{\"max_tokens\": 5}", "prompt", null)]
    [TestCase("{\"prompt\": \"x\", \"max_tokens\": 0}", "max_tokens", null)]
    [TestCase("{\"prompt\": \"x\", \"max_tokens\": \"many\"}", "max_tokens", null)]
    [TestCase("{\"prompt\": \"x\", \"n\": 2}", "n", null)]
    [TestCase("{\"prompt\": \"x\", \"temperature\": -1}", "temperature", null)]
    [TestCase("{\"prompt\": [\"a\", \"b\"]}", "prompt", null)]
    [TestCase("{\"prompt\": [1, 99999]}", "prompt", null)]
    [TestCase("{\"prompt\": \"x\", \"stop\": [1]}", "stop", null)]
    [TestCase("{\"prompt\": \"x\", \"max_tokens\": 600}", "max_tokens", "context_length_exceeded")]
    public async Task BadRequests_Are400WithAnOpenAIErrorObject(string body, string? param, string? code)
    {
        var (status, json) = await _server.PostAsync("v1/completions", body);
        Assert.That(status, Is.EqualTo(400), json.ToString());
        var error = json.GetProperty("error");
        Assert.That(error.GetProperty("type").GetString(), Is.EqualTo("invalid_request_error"));
        Assert.That(error.GetProperty("message").GetString(), Is.Not.Empty);
        Assert.That(error.GetProperty("param").ValueKind == JsonValueKind.Null ? null : error.GetProperty("param").GetString(), Is.EqualTo(param));
        Assert.That(error.GetProperty("code").ValueKind == JsonValueKind.Null ? null : error.GetProperty("code").GetString(), Is.EqualTo(code));
    }

    [Test]
    public async Task APromptLongerThanTheContext_IsRefusedBeforeAnyToken()
    {
        var ids = Enumerable.Repeat(300, _server.Engine.MaxContext + 10).Prepend(1).ToArray();
        var (status, json) = await _server.PostAsync("v1/completions", new { prompt = ids, max_tokens = 4 });
        Assert.That(status, Is.EqualTo(400));
        Assert.That((json.GetProperty("error").GetProperty("code").GetString(), json.GetProperty("error").GetProperty("param").GetString()),
            Is.EqualTo(("context_length_exceeded", "prompt")));
        Assert.That(_server.Engine.KvBlocks.Used, Is.Zero);
    }

    [Test]
    public async Task UnknownModelsAndEndpoints_Are404()
    {
        var (status, json) = await _server.PostAsync("v1/completions", new { model = "gpt-4o", prompt = "x" });
        Assert.That((status, json.GetProperty("error").GetProperty("code").GetString()), Is.EqualTo((404, "model_not_found")));
        using var response = await _server.Http.GetAsync("v1/nothing");
        Assert.That((int)response.StatusCode, Is.EqualTo(404));
        Assert.That(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("unknown_url"));
        using var health = await _server.Http.GetAsync("health");
        Assert.That((int)health.StatusCode, Is.EqualTo(200));
    }

    [Test]
    public async Task AFullQueue_Is429()
    {
        // One slot and one place in the queue; eight long requests at once: one runs, one waits, the others are refused.
        await using var small = await ServerFixture.StartAsync(new EngineOptions { MaxConcurrentSequences = 1, MaxQueuedRequests = 1 });
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            small.PostAsync("v1/completions", new { prompt = "a", max_tokens = 200, ignore_eos = true })));
        Assert.That(answers.Count(a => a.Status == 200), Is.InRange(2, 7), "the running and the waiting request complete");
        Assert.That(answers.Where(a => a.Status != 200).Select(a => a.Status), Is.All.EqualTo(429));
        var refused = answers.First(a => a.Status == 429).Body.GetProperty("error");
        Assert.That((refused.GetProperty("type").GetString(), refused.GetProperty("code").GetString()), Is.EqualTo(("rate_limit_error", "queue_full")));
    }

    [Test]
    public async Task AnErrorAfterTheStreamStarted_IsAnErrorEventBeforeDone()
    {
        // Stopping the server mid-stream cancels the generation: the client gets an error event, then [DONE].
        await using var stopping = await ServerFixture.StartAsync(new EngineOptions { MaxConcurrentSequences = 1 });
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
        {
            Content = JsonContent.Create(new { prompt = "a", max_tokens = 500, ignore_eos = true, stream = true }),
        };
        using var response = await stopping.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        Task? stop = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
                continue;
            events.Add(line["data: ".Length..]);
            if (events.Count == 2)
                stop = stopping.App.StopAsync();
        }
        await stop!;
        Assert.That(events[^1], Is.EqualTo("[DONE]"));
        var error = JsonDocument.Parse(events[^2]).RootElement.GetProperty("error");
        Assert.That((error.GetProperty("type").GetString(), error.GetProperty("code").GetString()), Is.EqualTo(("server_error", "unavailable")));
        Assert.That(events.Count, Is.LessThan(500), "the generation stopped early");
        await stopping.WaitUntilIdleAsync();
        Assert.That(stopping.Engine.KvBlocks.Used, Is.Zero);
    }
}
