using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using SliceGpt.Runtime.Serving;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Extensions.AI;

/// <summary>
/// An <see cref="IChatClient"/> over an <see cref="InferenceEngine"/>: messages go through the checkpoint's chat template,
/// the engine batches concurrent calls, and every <see cref="ChatOptions"/> field is honoured or refused by name
/// (<see cref="NotSupportedException"/> for tools, JSON response formats, conversation ids, continuation tokens and
/// non-text content). <see cref="ChatOptions.Temperature"/> defaults to 1 and <see cref="ChatOptions.TopP"/> to 1, as
/// OpenAI's do; <see cref="ChatOptions.MaxOutputTokens"/> defaults to the rest of the context.
/// <see cref="ChatOptions.AdditionalProperties"/> takes vLLM's extras: <c>min_p</c>, <c>repetition_penalty</c>,
/// <c>ignore_eos</c>, <c>stop_token_ids</c>; <see cref="ChatOptions.RawRepresentationFactory"/> may return a
/// <see cref="GenerationRequest"/> to start from. The response carries <see cref="ChatResponse.FinishReason"/> and
/// <see cref="ChatResponse.Usage"/>; a stream's last update carries the finish reason and a <see cref="UsageContent"/>.
/// Thread-safe. The client does not own the engine: disposing it leaves the engine running.
/// </summary>
public sealed class SliceGptChatClient : IChatClient
{
    private readonly InferenceEngine _engine;
    private readonly ITokenizer _tokenizer;
    private readonly ChatTemplate _template;

    /// <summary>Creates a client for the model <paramref name="modelId"/> served by <paramref name="engine"/>.</summary>
    /// <param name="engine">The engine (shared; not owned).</param>
    /// <param name="tokenizer">The engine's tokenizer, used to encode the rendered template.</param>
    /// <param name="template">The checkpoint's chat template (<see cref="ChatTemplate.FromCheckpoint"/>) or one given explicitly.</param>
    /// <param name="modelId">The model's name: the default and the only accepted <see cref="ChatOptions.ModelId"/>.</param>
    public SliceGptChatClient(InferenceEngine engine, ITokenizer tokenizer, ChatTemplate template, string modelId)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        _engine = engine;
        _tokenizer = tokenizer;
        _template = template;
        ModelId = modelId;
        Metadata = new ChatClientMetadata("slicegpt", null, modelId);
    }

    /// <summary>The model's name.</summary>
    public string ModelId { get; }

    /// <summary>Provider "slicegpt" and the default model id.</summary>
    public ChatClientMetadata Metadata { get; }

    /// <inheritdoc/>
    /// <exception cref="GenerationRejectedException">The engine refused the request (invalid, too long, overloaded).</exception>
    /// <exception cref="ChatTemplateException">The template refused the messages (e.g. roles that do not alternate).</exception>
    /// <exception cref="NotSupportedException">An option or content this client cannot honour, named.</exception>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = BuildRequest(messages, options);
        var result = await _engine.CompleteAsync(request, cancellationToken).ConfigureAwait(false);
        ThrowIfCancelled(result.FinishReason, cancellationToken);
        string id = NewId();
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, result.Text) { MessageId = id })
        {
            ResponseId = id,
            ModelId = ModelId,
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = ChatRequestMapping.ToFinishReason(result.FinishReason),
            Usage = ChatRequestMapping.ToUsage(result.Usage),
            RawRepresentation = result,
        };
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = BuildRequest(messages, options);
        var stream = _engine.Submit(request, cancellationToken);
        string id = NewId();
        var created = DateTimeOffset.UtcNow;
        await foreach (var update in stream.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (update.FinishReason is not { } reason)
            {
                if (update.Text.Length > 0)
                    yield return Update(id, created, update, [new TextContent(update.Text)]);
                continue;
            }
            ThrowIfCancelled(reason, cancellationToken);
            List<AIContent> contents = update.Text.Length > 0 ? [new TextContent(update.Text)] : [];
            contents.Add(new UsageContent(ChatRequestMapping.ToUsage(update.Usage!)));
            var last = Update(id, created, update, contents);
            last.FinishReason = ChatRequestMapping.ToFinishReason(reason);
            yield return last;
        }
    }

    /// <summary>
    /// This client, its <see cref="ChatClientMetadata"/>, the <see cref="InferenceEngine"/>, the <see cref="ChatTemplate"/>
    /// or the <see cref="ITokenizer"/>; null for anything else or any key.
    /// </summary>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
            return null;
        if (serviceType == typeof(ChatClientMetadata))
            return Metadata;
        if (serviceType.IsInstanceOfType(this))
            return this;
        if (serviceType.IsInstanceOfType(_engine))
            return _engine;
        if (serviceType.IsInstanceOfType(_template))
            return _template;
        return serviceType.IsInstanceOfType(_tokenizer) ? _tokenizer : null;
    }

    /// <summary>Nothing to release: the engine belongs to the caller.</summary>
    public void Dispose()
    {
    }

    private GenerationRequest BuildRequest(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var turns = ChatRequestMapping.ToTurns(messages, options);
        var prompt = _template.Apply(turns, _tokenizer, addGenerationPrompt: true);
        return ChatRequestMapping.ToRequest(this, prompt, options, _template, ModelId);
    }

    private ChatResponseUpdate Update(string id, DateTimeOffset created, GenerationUpdate update, IList<AIContent> contents) =>
        new(ChatRole.Assistant, contents)
        {
            ResponseId = id,
            MessageId = id,
            ModelId = ModelId,
            CreatedAt = created,
            RawRepresentation = update,
        };

    // The engine ends a request as cancelled when the caller cancelled it or when the engine is disposed under it.
    private static void ThrowIfCancelled(FinishReason reason, CancellationToken cancellationToken)
    {
        if (reason != FinishReason.Cancelled)
            return;
        cancellationToken.ThrowIfCancellationRequested();
        throw new OperationCanceledException("the engine stopped the request before it finished (the engine was disposed)");
    }

    private static string NewId() => "chatcmpl-" + Guid.NewGuid().ToString("N");
}
