namespace SliceGpt.Runtime;

/// <summary>
/// The base of SliceGpt's own typed errors: bad or unusable input (checkpoints, configs, tokenizers, texts, options),
/// unsupported models, outputs that cannot be written, and non-finite numbers. Each message names the file, tensor,
/// field or layer concerned. A caller such as the CLI reports these as the user's problem; any other exception
/// escaping the engine is a bug.
/// </summary>
public abstract class SliceGptException : Exception
{
    /// <summary>Creates the exception with its complete, user-facing message.</summary>
    protected SliceGptException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
