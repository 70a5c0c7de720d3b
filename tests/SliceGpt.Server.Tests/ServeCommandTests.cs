using System.Diagnostics;
using System.Text.Json;

namespace SliceGpt.Server.Tests;

/// <summary>
/// <c>slicegpt serve</c> as a user runs it: a separate process on a free port, ready when it prints its one line, answering
/// requests, and exiting with code 0 on SIGTERM.
/// </summary>
public class ServeCommandTests
{
    [Test]
    public async Task Serve_PrintsOneReadyLine_Answers_AndStopsOnSigterm()
    {
        string cli = CliDll();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { cli, "serve", "--model", SharedPaths.Get("models", "stories260K", "stories260K.bin"), "--port", "0", "--device", "cpu", "--max-concurrent", "2" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        try
        {
            string? ready = null;
            var stderr = new List<string>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (ready is null && await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
            {
                stderr.Add(line);
                if (line.StartsWith("listening on ", StringComparison.Ordinal))
                    ready = line;
            }
            Assert.That(ready, Does.Match(@"^listening on http://127\.0\.0\.1:\d+, model stories260K on cpu"), string.Join("\n", stderr));
            string url = ready!["listening on ".Length..ready!.IndexOf(',')];
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            using var response = await http.PostAsync("v1/completions", new StringContent("""{"prompt": "Once upon a time", "max_tokens": 5, "temperature": 0}"""));
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.That(body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), Is.EqualTo(5), body.ToString());
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            await kill.WaitForExitAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            Assert.That(process.ExitCode, Is.EqualTo(0), await process.StandardError.ReadToEndAsync());
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    [Test]
    public async Task AMissingChatTemplateFile_IsAUsageError()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { CliDll(), "serve", "--model", SharedPaths.Get("models", "stories260K", "stories260K.bin"), "--chat-template", "/nonexistent/chat.jinja", "--port", "0" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string stderr = await process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.That(process.ExitCode, Is.EqualTo(2));
        Assert.That(stderr.Trim(), Is.EqualTo("error: /nonexistent/chat.jinja: no such chat template file"));
    }

    // The CLI built beside this test project (same configuration), started with `dotnet`.
    private static string CliDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // bin/<Configuration>/net10.0/
        var path = Path.Combine(SharedPaths.RepoRoot, "src", "SliceGpt.Cli", "bin", configuration, "net10.0", "slicegpt.dll");
        if (!File.Exists(path))
            Assert.Fail($"the CLI is not built: {path}");
        return path;
    }
}
