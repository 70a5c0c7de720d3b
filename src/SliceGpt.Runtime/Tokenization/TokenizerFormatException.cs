namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// A tokenizer file that cannot be used: truncated, malformed, or of a kind this engine does not implement.
/// The message always names the file and what is wrong with it.
/// </summary>
public sealed class TokenizerFormatException : SliceGptException
{
    /// <summary>Creates the exception for <paramref name="file"/>; the message becomes "<c>file: problem</c>".</summary>
    public TokenizerFormatException(string file, string problem, Exception? inner = null)
        : base($"{file}: {problem}", inner)
    {
        File = file;
        Problem = problem;
    }

    /// <summary>The tokenizer file (or folder) that was being read.</summary>
    public string File { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
