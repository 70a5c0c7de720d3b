using Microsoft.AspNetCore.Http;
using SliceGpt.Runtime.Serving;
using SliceGpt.Server.Protocol;

namespace SliceGpt.Server.Endpoints;

/// <summary>
/// <c>POST /v1/completions</c> and <c>POST /v1/chat/completions</c>. A request is parsed, validated and admitted by the
/// engine before anything is written, so every refusal is a JSON error with its status; once a stream has started, an
/// error is sent as an error event before <c>data: [DONE]</c>. The request's cancellation token is the client's
/// connection (and the server's shutdown): a client that disconnects cancels its generation and frees its KV blocks.
/// </summary>
internal static class CompletionEndpoints
{
    public static Task CompletionsAsync(HttpContext http, ServedModel model, CancellationToken stopping) =>
        RunAsync(http, model, stopping, chat: false);

    public static Task ChatCompletionsAsync(HttpContext http, ServedModel model, CancellationToken stopping) =>
        RunAsync(http, model, stopping, chat: true);

    private static async Task RunAsync(HttpContext http, ServedModel model, CancellationToken stopping, bool chat)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        CompletionRequest request;
        GenerationStream stream;
        try
        {
            var fields = await RequestFields.ReadAsync(http.Request, http.RequestAborted);
            request = chat ? CompletionRequest.ParseChat(fields, model) : CompletionRequest.ParseCompletion(fields, model);
            stream = model.Engine.Submit(request.Generation, cancel.Token);
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            return; // the client is gone before its request was read
        }
        catch (Exception e)
        {
            await WriteErrorAsync(http, OpenAIException.From(e));
            return;
        }
        var answer = new Answer(model.Name, chat);
        if (request.Stream)
            await StreamAsync(http, stream, answer, request.IncludeUsage, cancel.Token);
        else
            await WholeAsync(http, stream, answer, cancel.Token);
    }

    private static async Task WholeAsync(HttpContext http, GenerationStream stream, Answer answer, CancellationToken cancellationToken)
    {
        GenerationResult result;
        try
        {
            result = await stream.ToResultAsync(cancellationToken);
            if (result.FinishReason == FinishReason.Cancelled)
                throw OpenAIException.ShuttingDown();
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            return; // the client disconnected: the engine has already dropped its request
        }
        catch (OperationCanceledException)
        {
            await WriteErrorAsync(http, OpenAIException.ShuttingDown());
            return;
        }
        catch (Exception e)
        {
            await WriteErrorAsync(http, OpenAIException.From(e));
            return;
        }
        var body = answer.Whole(result);
        await http.Response.WriteAsJsonAsync(body, body.GetType(), Json.Options, http.RequestAborted);
    }

    private static async Task StreamAsync(HttpContext http, GenerationStream stream, Answer answer, bool includeUsage, CancellationToken cancellationToken)
    {
        var events = new EventStream(http.Response);
        var aborted = http.RequestAborted;
        try
        {
            await events.StartAsync(aborted);
            if (answer.Chat)
                await events.WriteAsync(answer.RoleChunk(), aborted);
            GenerationUsage? usage = null;
            await foreach (var update in stream.WithCancellation(cancellationToken))
            {
                if (update.FinishReason == FinishReason.Cancelled)
                    throw OpenAIException.ShuttingDown();
                if (update.Text.Length > 0)
                    await events.WriteAsync(answer.TextChunk(update.Text, null), aborted);
                if (update.FinishReason is { } reason)
                {
                    await events.WriteAsync(answer.Chat ? answer.FinishChunk(reason) : answer.TextChunk("", reason), aborted);
                    usage = update.Usage;
                }
            }
            if (includeUsage && usage is not null)
                await events.WriteAsync(answer.UsageChunk(usage), aborted);
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            return; // the client disconnected mid-stream: nothing more to send, the engine frees the request's blocks
        }
        catch (Exception e)
        {
            var error = e is OperationCanceledException ? OpenAIException.ShuttingDown() : OpenAIException.From(e);
            if (!await TryAsync(() => events.WriteAsync(error.Body, aborted)))
                return;
        }
        await TryAsync(() => events.DoneAsync(aborted));
    }

    // A write to a client that has gone fails; there is nobody left to tell.
    private static async Task<bool> TryAsync(Func<Task> write)
    {
        try
        {
            await write();
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            return false;
        }
    }

    public static async Task WriteErrorAsync(HttpContext http, OpenAIException error)
    {
        if (http.Response.HasStarted)
            return;
        http.Response.StatusCode = error.Status;
        await http.Response.WriteAsJsonAsync(error.Body, error.Body.GetType(), Json.Options, http.RequestAborted);
    }

    /// <summary>The response objects of one request (one id and creation time for all its chunks).</summary>
    private sealed class Answer(string model, bool chat)
    {
        private readonly string _id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
        private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        public bool Chat { get; } = chat;

        public object Whole(GenerationResult result) => Chat
            ? new ChatCompletionBody(_id, "chat.completion", _created, model,
                [new ChatChoice(0, new ChatMessageBody("assistant", result.Text), null, Json.FinishReason(result.FinishReason))], UsageBody.From(result.Usage))
            : new CompletionBody(_id, "text_completion", _created, model,
                [new CompletionChoice(result.Text, 0, null, Json.FinishReason(result.FinishReason))], UsageBody.From(result.Usage));

        public object RoleChunk() => Chunk(new ChatDelta("assistant", ""), null);

        public object TextChunk(string text, FinishReason? reason) => Chat
            ? Chunk(new ChatDelta(null, text), reason)
            : new CompletionBody(_id, "text_completion", _created, model,
                [new CompletionChoice(text, 0, null, reason is { } r ? Json.FinishReason(r) : null)], null);

        public object FinishChunk(FinishReason reason) => Chunk(new ChatDelta(null, null), reason);

        public object UsageChunk(GenerationUsage usage) => Chat
            ? new ChatChunkBody(_id, "chat.completion.chunk", _created, model, [], UsageBody.From(usage))
            : new CompletionBody(_id, "text_completion", _created, model, [], UsageBody.From(usage));

        private ChatChunkBody Chunk(ChatDelta delta, FinishReason? reason) =>
            new(_id, "chat.completion.chunk", _created, model, [new ChatChunkChoice(0, delta, null, reason is { } r ? Json.FinishReason(r) : null)], null);
    }
}
