namespace SliceGpt.Runtime.IO;

/// <summary>
/// An input file or path that cannot be used: missing, unreadable, not UTF-8, empty, or inconsistent with another input
/// (a tokenizer whose ids do not fit the model). The message names the path and, when there is one, the field.
/// </summary>
public sealed class InputValidationException : SliceGptException
{
    /// <summary>The file or folder concerned.</summary>
    public string Path { get; }

    /// <summary>The part of it concerned ("byte offset 17", "vocabulary"), or null.</summary>
    public string? Field { get; }

    /// <summary>What is wrong, without the path.</summary>
    public string Problem { get; }

    /// <summary>Creates the exception; the message is "<c>path: field: problem</c>".</summary>
    public InputValidationException(string path, string? field, string problem, Exception? inner = null)
        : this(field is null ? $"{path}: {problem}" : $"{path}: {field}: {problem}", path, field, problem, inner)
    {
    }

    private InputValidationException(string message, string path, string? field, string problem, Exception? inner)
        : base(message, inner)
    {
        Path = path;
        Field = field;
        Problem = problem;
    }

    /// <summary>"model not found: PATH": neither a model folder nor a checkpoint file exists there.</summary>
    public static InputValidationException ModelNotFound(string path) =>
        new($"model not found: {path}", path, null, "model not found", null);

    /// <summary>The file could not be read; the problem is the operating system's reason.</summary>
    public static InputValidationException Unreadable(string path, Exception e) =>
        e is FileNotFoundException ? new(path, null, "no such file", e) : new(path, null, $"cannot read: {OsErrors.Reason(e)}", e);
}
