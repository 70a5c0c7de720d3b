namespace SliceGpt.Runtime.Evaluation.Readers;

/// <summary>A task file that cannot be used. The message names the file, the line (1-based) when there is one, and the problem.</summary>
public sealed class TaskFileException : SliceGptException
{
    /// <summary>Creates the exception; the message becomes "<c>file:line: problem</c>" (or "<c>file: problem</c>").</summary>
    public TaskFileException(string file, int? line, string problem, Exception? inner = null)
        : base(line is int l ? $"{file}:{l}: {problem}" : $"{file}: {problem}", inner)
    {
        File = file;
        Line = line;
        Problem = problem;
    }

    /// <summary>The file being read.</summary>
    public string File { get; }

    /// <summary>The 1-based line the problem is on, if it is on one.</summary>
    public int? Line { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
