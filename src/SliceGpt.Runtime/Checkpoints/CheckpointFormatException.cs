namespace SliceGpt.Runtime.Checkpoints;

/// <summary>
/// A checkpoint or its <c>config.json</c> is malformed, truncated or inconsistent. The message names the file,
/// the tensor or field concerned, what was expected and what was found.
/// </summary>
public sealed class CheckpointFormatException : SliceGptException
{
    /// <summary>The file that is wrong.</summary>
    public string File { get; }

    /// <summary>The tensor concerned, when the problem is about one tensor.</summary>
    public string? Tensor { get; }

    /// <summary>The header or config field concerned, when there is one.</summary>
    public string? Field { get; }

    /// <summary>What a valid file has there.</summary>
    public string Expected { get; }

    /// <summary>What this file has there.</summary>
    public string Found { get; }

    /// <summary>Creates the exception; <paramref name="tensor"/> and <paramref name="field"/> may be null.</summary>
    public CheckpointFormatException(string file, string? tensor, string? field, string expected, string found, Exception? inner = null)
        : base(Format(file, tensor, field, expected, found), inner)
    {
        File = file;
        Tensor = tensor;
        Field = field;
        Expected = expected;
        Found = found;
    }

    private static string Format(string file, string? tensor, string? field, string expected, string found)
    {
        var where = file;
        if (tensor is not null)
            where += $": tensor '{tensor}'";
        if (field is not null)
            where += $": field '{field}'";
        return $"{where}: expected {expected}, found {found}";
    }
}
