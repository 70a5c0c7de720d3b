namespace SliceGpt.Cli;

/// <summary>The streams a command writes to (the console, or buffers in tests).</summary>
/// <param name="Out">Results (text or JSON).</param>
/// <param name="Err">Progress, diagnostics and errors.</param>
public sealed record CliContext(TextWriter Out, TextWriter Err);
