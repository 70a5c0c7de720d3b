using SliceGpt.Extensions.AI;
using SliceGpt.Runtime.Serving;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Server;

/// <summary>
/// What the server serves: one engine under one model name, its tokenizer, and the chat template of
/// <c>/v1/chat/completions</c> (null when the checkpoint has none and none was given; chat requests are then refused with
/// <see cref="ChatTemplateProblem"/>). The server does not own the engine.
/// </summary>
public sealed class ServedModel
{
    /// <summary>Describes a served model.</summary>
    /// <param name="name">The model id clients send (<c>"model"</c>) and <c>/v1/models</c> lists.</param>
    /// <param name="engine">The engine computing every request.</param>
    /// <param name="tokenizer">The engine's tokenizer (chat prompts are tokenised here, after the template).</param>
    /// <param name="chatTemplate">The chat template, or null.</param>
    /// <param name="chatTemplateProblem">Why there is no chat template (shown to chat clients); required when <paramref name="chatTemplate"/> is null.</param>
    public ServedModel(string name, InferenceEngine engine, ITokenizer tokenizer, ChatTemplate? chatTemplate, string? chatTemplateProblem = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Name = name;
        Engine = engine;
        Tokenizer = tokenizer;
        ChatTemplate = chatTemplate;
        ChatTemplateProblem = chatTemplate is null
            ? chatTemplateProblem ?? "this server has no chat template; start it with one (slicegpt serve --chat-template FILE)"
            : null;
    }

    /// <summary>The model id.</summary>
    public string Name { get; }

    /// <summary>The engine.</summary>
    public InferenceEngine Engine { get; }

    /// <summary>The tokenizer.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The chat template, or null.</summary>
    public ChatTemplate? ChatTemplate { get; }

    /// <summary>Why chat completions are refused; null when there is a template.</summary>
    public string? ChatTemplateProblem { get; }

    /// <summary>When the server started serving it (the <c>created</c> of <c>/v1/models</c>).</summary>
    public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;
}
