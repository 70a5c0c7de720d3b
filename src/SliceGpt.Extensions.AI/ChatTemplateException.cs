namespace SliceGpt.Extensions.AI;

/// <summary>
/// A chat template that cannot be parsed or rendered, naming the template (its file) and the line. When
/// <see cref="RaisedByTemplate"/> is true the template itself refused the conversation (its <c>raise_exception</c>, e.g.
/// "Conversation roles must alternate user/assistant/user/assistant/..."): the caller's messages are at fault, not the
/// template.
/// </summary>
public class ChatTemplateException : SliceGpt.Runtime.SliceGptException
{
    /// <summary>Creates the exception.</summary>
    public ChatTemplateException(string origin, int? line, string message, bool raisedByTemplate = false)
        : base(line is int l ? $"{origin}, line {l}: {message}" : $"{origin}: {message}")
    {
        Origin = origin;
        Line = line;
        Reason = message;
        RaisedByTemplate = raisedByTemplate;
    }

    /// <summary>Where the template came from: a file path (and field), or a caller's description.</summary>
    public string Origin { get; }

    /// <summary>The template line at fault, when one is.</summary>
    public int? Line { get; }

    /// <summary>The message without the origin and line.</summary>
    public string Reason { get; }

    /// <summary>True when the template's own <c>raise_exception</c> refused the messages.</summary>
    public bool RaisedByTemplate { get; }
}

/// <summary>A checkpoint without a chat template: <see cref="File"/> is where one was looked for.</summary>
public sealed class MissingChatTemplateException(string file, string message) : ChatTemplateException(file, null, message)
{
    /// <summary>The file that has no <c>chat_template</c> (or that does not exist).</summary>
    public string File { get; } = file;
}
