using SliceGpt.Native.Cpu;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Architectures;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Evaluation.Readers;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Cli;

/// <summary>Turns exceptions into one clear line and an exit code.</summary>
internal static class ErrorReporter
{
    public static int Report(Exception e, bool verbose, TextWriter stderr)
    {
        bool expected = IsExpected(e);
        stderr.WriteLine(expected ? $"error: {e.Message}" : $"internal error: {e.GetType().Name}: {e.Message}");
        if (verbose || !expected)
            stderr.WriteLine(e.ToString());
        return expected ? CliApp.UsageError : CliApp.InternalError;
    }

    private static bool IsExpected(Exception e) => e is CheckpointFormatException or UnsupportedArchitectureException
        or TokenizerFormatException or BlasUnavailableException or SlicingException or CliUsageException or FileNotFoundException
        or DirectoryNotFoundException or ArgumentException or UnauthorizedAccessException or CudaUnavailableException
        or TaskFileException;
}

/// <summary>An invalid combination of options or an unusable input that the CLI itself detected.</summary>
public sealed class CliUsageException(string message) : Exception(message);
