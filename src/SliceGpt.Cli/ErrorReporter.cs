using SliceGpt.Native.Cpu;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime;

namespace SliceGpt.Cli;

/// <summary>
/// Turns exceptions into one clear line and an exit code. Only SliceGpt's own typed errors (<see cref="SliceGptException"/>
/// and the two "this machine lacks a library" errors) are the user's problem (exit 2); anything else is a bug in SliceGpt,
/// reported briefly as an internal error (exit 1). <c>--verbose</c> adds the full trace to either.
/// </summary>
internal static class ErrorReporter
{
    public static int Report(Exception e, bool verbose, TextWriter stderr)
    {
        bool expected = IsExpected(e);
        if (expected)
            stderr.WriteLine($"error: {e.Message}");
        else
        {
            stderr.WriteLine($"internal error: {e.GetType().Name}: {e.Message}");
            if (!verbose)
                stderr.WriteLine($"  at {TopFrame(e)}; this is a bug in SliceGpt, not in the input: please report it with the output of --verbose");
        }
        if (verbose)
            stderr.WriteLine(e.ToString());
        return expected ? CliApp.UsageError : CliApp.InternalError;
    }

    /// <summary>The project's typed errors, and the environment errors that name the missing library and how to install it.</summary>
    public static bool IsExpected(Exception e) => e is SliceGptException or BlasUnavailableException or CudaUnavailableException;

    private static string TopFrame(Exception e)
    {
        var line = e.StackTrace?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return line is null ? "(no trace)" : line.StartsWith("at ", StringComparison.Ordinal) ? line[3..] : line;
    }
}

/// <summary>An invalid combination of options or an unusable input that the CLI itself detected.</summary>
public sealed class CliUsageException(string message) : SliceGptException(message);
