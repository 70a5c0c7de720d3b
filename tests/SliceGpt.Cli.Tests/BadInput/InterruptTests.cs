using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SliceGpt.Cli.Tests.BadInput;

/// <summary>
/// SIGINT and SIGTERM delivered to a real <c>slicegpt slice</c> process while it calibrates or while it writes the output
/// (held there by <see cref="TestHold"/>): exit 130 / 143, one line on stderr, no temporary folder left, an existing
/// output untouched, the inputs unchanged.
/// </summary>
[NonParallelizable]
public partial class InterruptTests
{
    private const int SigInt = 2, SigTerm = 15;

    [TestCase("writing", SigInt, 130)]
    [TestCase("writing", SigTerm, 143)]
    [TestCase("calibrating", SigInt, 130)]
    [TestCase("calibrating", SigTerm, 143)]
    public void Signal_RemovesTemporaryFolders_AndExitsWithItsCode(string point, int signal, int expectedCode)
    {
        using var workspace = new BadInputWorkspace();
        var before = workspace.Snapshot();
        var (code, stderr) = RunAndSignal(workspace, point, signal, "--out", workspace.Output);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(expectedCode), stderr);
            Assert.That(stderr, Does.Contain($"interrupted (SIG{(signal == SigInt ? "INT" : "TERM")})"));
            if (point == "writing")
                Assert.That(stderr, Does.Contain("removed the unfinished").And.Contain(".partial-"), "the half-written folder existed and was removed");
            Assert.That(workspace.Snapshot(), Is.EqualTo(before), "no output, no temporary folder, inputs unchanged");
        });
    }

    [Test]
    public void SigTermWhileReplacingAnOutput_LeavesThePreviousOutputUntouched()
    {
        using var workspace = new BadInputWorkspace();
        Directory.CreateDirectory(workspace.Output);
        File.WriteAllText(Path.Combine(workspace.Output, "model.safetensors"), "the previous output");
        var before = workspace.Snapshot();
        var (code, stderr) = RunAndSignal(workspace, "writing", SigTerm, "--out", workspace.Output, "--force");
        Assert.That(code, Is.EqualTo(143), stderr);
        Assert.That(workspace.Snapshot(), Is.EqualTo(before), "the previous output is as it was; nothing else is left");
    }

    private static (int Code, string Stderr) RunAndSignal(BadInputWorkspace w, string point, int signal, params string[] outputArgs)
    {
        // env --default-signal: a test runner started in the background has SIGINT ignored, which the child would inherit.
        var start = new ProcessStartInfo("env") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in (string[])["--default-signal=INT,TERM", .. Cli(), "slice", "--model", w.Model, "--calib", w.Text, "--calib-mode", "first",
                     "--nsamples", "2", "--calib-seqlen", "64", .. outputArgs])
            start.ArgumentList.Add(a);
        start.Environment[TestHold.Variable] = point;
        using var process = Process.Start(start)!;
        var stderr = new System.Text.StringBuilder();
        var held = new TaskCompletionSource();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (stderr)
                stderr.AppendLine(e.Data);
            if (e.Data.StartsWith("hold: ", StringComparison.Ordinal))
                held.TrySetResult();
        };
        process.BeginErrorReadLine();
        _ = process.StandardOutput.ReadToEndAsync();
        try
        {
            Assert.That(held.Task.Wait(TimeSpan.FromSeconds(60)), Is.True, $"the process never reached '{point}': {stderr}");
            Assert.That(Kill(process.Id, signal), Is.Zero, "kill(2)");
            Assert.That(process.WaitForExit(TimeSpan.FromSeconds(30)), Is.True, $"the process did not exit after the signal: {stderr}");
            process.WaitForExit(); // drains the redirected streams
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
        lock (stderr)
            return (process.ExitCode, stderr.ToString());
    }

    // The CLI's apphost beside this test assembly (the project reference copies it), else `dotnet slicegpt.dll`.
    private static string[] Cli()
    {
        var folder = Path.GetDirectoryName(typeof(CliApp).Assembly.Location)!;
        var apphost = Path.Combine(folder, "slicegpt");
        return File.Exists(apphost) ? [apphost] : ["dotnet", Path.Combine(folder, "slicegpt.dll")];
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
