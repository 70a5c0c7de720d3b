namespace SliceGpt.Cli.Tests;

/// <summary>Runs the CLI in-process and captures its streams.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public static string Shared(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SliceGpt.sln")))
                return Path.GetFullPath(Path.Combine([dir.FullName, "..", "shared", .. parts]));
        }
        throw new InvalidOperationException("SliceGpt.sln not found");
    }
}
