namespace SliceGpt.Runtime.Architectures;

/// <summary>The checkpoint's <c>config.json</c> names an architecture SliceGpt does not implement.</summary>
public sealed class UnsupportedArchitectureException : SliceGptException
{
    /// <summary>The config file that was read.</summary>
    public string File { get; }

    /// <summary>What the config names (architectures / model_type).</summary>
    public string Found { get; }

    /// <summary>Creates the exception; the message lists what is supported.</summary>
    public UnsupportedArchitectureException(string file, string found, IEnumerable<string> supported)
        : base($"{file}: unsupported architecture {found}; supported: {string.Join(", ", supported)}")
    {
        File = file;
        Found = found;
    }
}
