using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using SliceGpt.Extensions.AI;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Serving;
using SliceGpt.Runtime.Tokenization;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Server.Tests;

/// <summary>
/// The real stories260K model (CPU, fp32) behind the server on a free port of 127.0.0.1. The model has no chat template;
/// the one given here renders the messages as BOS + their texts joined by spaces (and refuses system messages), so a chat
/// turn is a story prompt and greedy replies can be checked against <see cref="TextGenerator"/>.
/// </summary>
internal sealed class ServerFixture : IAsyncDisposable
{
    public const string ModelName = "stories260K";

    public const string StoryTemplate =
        "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('this model takes no system messages') }}{% endif %}" +
        "{{ m['content'] }}{% if not loop.last %} {% endif %}{% endfor %}";

    private ServerFixture(IExecutableModel model, ITokenizer tokenizer, InferenceEngine engine, WebApplication app)
    {
        Model = model;
        Tokenizer = tokenizer;
        Engine = engine;
        App = app;
        BaseAddress = new Uri(app.Address().TrimEnd('/') + "/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    private int _disposed;

    public IExecutableModel Model { get; }

    public ITokenizer Tokenizer { get; }

    public InferenceEngine Engine { get; }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    /// <summary>Loads the model and starts a server on it with <paramref name="options"/>.</summary>
    public static async Task<ServerFixture> StartAsync(EngineOptions options)
    {
        var tokenizer = TokenizerLoader.Load(SharedPaths.Get("models", "stories260K", "tok512.bin"));
        var model = new CpuBackend().Prepare(ModelLoader.Load<float>(SharedPaths.Get("models", "stories260K", "stories260K.bin")));
        var engine = new InferenceEngine(model, tokenizer, options);
        var served = new ServedModel(ModelName, engine, tokenizer, ChatTemplate.Parse(StoryTemplate, "story template"));
        var app = OpenAIServer.Create(served, "127.0.0.1", 0);
        await app.StartAsync();
        return new ServerFixture(model, tokenizer, engine, app);
    }

    /// <summary>POSTs <paramref name="body"/> (an object, or raw text sent as it is) and returns the status and parsed JSON.</summary>
    public async Task<(int Status, JsonElement Body)> PostAsync(string path, object body)
    {
        using var content = body is string raw
            ? new StringContent(raw, System.Text.Encoding.UTF8, "application/json")
            : (HttpContent)JsonContent.Create(body);
        using var response = await Http.PostAsync(path, content);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return ((int)response.StatusCode, json);
    }

    /// <summary>POSTs a streaming request and returns every event's data, [DONE] included.</summary>
    public async Task<List<string>> StreamAsync(string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/event-stream"));
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
                events.Add(line["data: ".Length..]);
            else
                Assert.That(line, Is.Empty, "an event is one data line and a blank line");
        }
        return events;
    }

    /// <summary>The greedy continuation of <paramref name="prompt"/> run alone through TextGenerator, and the prompt's tokens.</summary>
    public (string Text, int PromptTokens) Alone(string prompt, int steps)
    {
        using var session = Model.CreateSession(1, Model.Config.MaxSeqLen);
        var result = TextGenerator.Generate(session, Tokenizer, prompt, new GenerationOptions(Steps: steps));
        string text = Tokenizer.Decode(result.Tokens)[Tokenizer.Decode(result.Tokens[..result.PromptTokens]).Length..];
        return (text, result.PromptTokens);
    }

    /// <summary>Waits (up to 5 s) until the engine holds no request and no KV block.</summary>
    public async Task WaitUntilIdleAsync()
    {
        for (int i = 0; i < 500 && (Engine.KvBlocks.Used > 0 || Engine.RunningCount > 0 || Engine.WaitingCount > 0); i++)
            await Task.Delay(10);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Engine.Dispose();
        Model.Dispose();
    }
}

/// <summary>Locates the read-only fixtures in <c>../shared</c> beside the repository root ($SLICEGPT_SHARED overrides).</summary>
internal static class SharedPaths
{
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "SliceGpt.sln")))
                    return dir.FullName;
            throw new InvalidOperationException($"SliceGpt.sln not found above {AppContext.BaseDirectory}");
        }
    }

    public static string Get(params string[] parts)
    {
        string shared = Environment.GetEnvironmentVariable("SLICEGPT_SHARED") is { Length: > 0 } s ? s : Path.Combine(RepoRoot, "..", "shared");
        var path = Path.GetFullPath(Path.Combine([shared, .. parts]));
        if (!File.Exists(path) && !Directory.Exists(path))
            Assert.Fail($"shared fixture missing: {path}");
        return path;
    }
}
