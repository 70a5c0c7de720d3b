using System.Runtime.InteropServices;
using SliceGpt.Runtime.IO;

namespace SliceGpt.Cli;

/// <summary>
/// SIGINT and SIGTERM at any point (loading, calibrating, writing): every temporary output of the process is removed
/// (<see cref="TemporaryOutputs.RemoveAll"/>: renames into place are atomic with respect to it, so an output is either
/// complete or absent), one line says so, and the process exits with 130 or 143 (128 + the signal number).
/// </summary>
internal static class Interruption
{
    /// <summary>Exit code after SIGINT.</summary>
    public const int SigIntExit = 130;

    /// <summary>Exit code after SIGTERM.</summary>
    public const int SigTermExit = 143;

    private static int _handling;
    private static volatile bool _deferred;

    /// <summary>
    /// From now on the handlers do nothing: a command that hosts a server (<c>serve</c>) lets the host's own SIGINT/SIGTERM
    /// handling stop it gracefully. Such a command writes no temporary outputs.
    /// </summary>
    public static void DeferToHost() => _deferred = true;

    /// <summary>Installs the handlers for the life of the returned object.</summary>
    public static IDisposable Install(TextWriter stderr)
    {
        var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Terminate(c, "SIGINT", SigIntExit, stderr));
        var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Terminate(c, "SIGTERM", SigTermExit, stderr));
        return new Registrations(sigint, sigterm);
    }

    private static void Terminate(PosixSignalContext context, string signal, int exitCode, TextWriter stderr)
    {
        if (_deferred)
            return;
        context.Cancel = true; // the process exits here, after the clean-up, rather than by the default action
        if (Interlocked.Exchange(ref _handling, 1) == 1)
            return; // a second signal while the first is handled
        var removed = TemporaryOutputs.RemoveAll();
        stderr.WriteLine(removed.Count == 0
            ? $"interrupted ({signal}); nothing was written"
            : $"interrupted ({signal}); removed the unfinished {string.Join(", ", removed)}");
        stderr.Flush();
        Environment.Exit(exitCode);
    }

    private sealed class Registrations(params IDisposable[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var r in registrations)
                r.Dispose();
        }
    }
}
