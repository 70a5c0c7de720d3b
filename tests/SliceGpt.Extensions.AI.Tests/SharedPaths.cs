namespace SliceGpt.Extensions.AI.Tests;

/// <summary>Locates the read-only fixtures in <c>../shared</c> beside the repository root ($SLICEGPT_SHARED overrides).</summary>
internal static class SharedPaths
{
    public static string Get(params string[] parts)
    {
        string shared = Environment.GetEnvironmentVariable("SLICEGPT_SHARED") is { Length: > 0 } s ? s : Path.Combine(RepoRoot(), "..", "shared");
        var path = Path.GetFullPath(Path.Combine([shared, .. parts]));
        if (!File.Exists(path) && !Directory.Exists(path))
            Assert.Fail($"shared fixture missing: {path}");
        return path;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SliceGpt.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"SliceGpt.sln not found above {AppContext.BaseDirectory}");
    }
}
