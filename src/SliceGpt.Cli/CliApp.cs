using System.CommandLine;
using SliceGpt.Cli.Commands;

namespace SliceGpt.Cli;

/// <summary>
/// Builds the command tree and runs it. Exit codes: 0 success; 2 an expected error (SliceGpt's typed errors: bad input,
/// missing or unreadable file, unsupported model, unwritable output, non-finite numbers: one line on stderr, the trace with
/// --verbose); 1 an internal error (a bug: a short report); 130 / 143 interrupted by SIGINT / SIGTERM (the executable's
/// signal handlers, <see cref="Interruption"/>).
/// </summary>
public static class CliApp
{
    /// <summary>Exit code of a successful run.</summary>
    public const int Success = 0;

    /// <summary>Exit code of an unexpected failure (a bug).</summary>
    public const int InternalError = 1;

    /// <summary>Exit code of an expected error: invalid options or input.</summary>
    public const int UsageError = 2;

    /// <summary>Runs the CLI with the given streams; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var context = new CliContext(stdout, stderr);
        var root = new RootCommand("SliceGpt: compress transformers with SliceGPT and run them on the CPU or CUDA")
        {
            CommonOptions.Verbose,
        };
        root.Add(InfoCommand.Create(context));
        root.Add(PerplexityCommand.Create(context));
        root.Add(GenerateCommand.Create(context));
        root.Add(PlanCommand.Create(context));
        root.Add(SliceCommand.Create(context));
        root.Add(ServeCommand.Create(context));
        root.Add(EvalCommand.Create(context));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            stderr.WriteLine($"error: {parse.Errors[0].Message} (see --help)");
            return UsageError;
        }
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        try
        {
            return parse.Invoke(config);
        }
        catch (OperationCanceledException) when (Runtime.IO.TemporaryOutputs.Terminating)
        {
            // A signal handler is cleaning up and exits the process with its own code; nothing to report here.
            Thread.Sleep(Timeout.Infinite);
            throw;
        }
        catch (Exception e)
        {
            return ErrorReporter.Report(e, parse.GetValue(CommonOptions.Verbose), stderr);
        }
    }
}
