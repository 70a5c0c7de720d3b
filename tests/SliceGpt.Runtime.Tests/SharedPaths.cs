namespace SliceGpt.Runtime.Tests;

/// <summary>Locates the read-only fixtures in <c>../shared</c> beside the repository root.</summary>
internal static class SharedPaths
{
    /// <summary>The repository root: the nearest ancestor of the test binary holding SliceGpt.sln.</summary>
    public static string RepoRoot => FindRepoRoot();

    /// <summary>The shared folder: $SLICEGPT_SHARED (the GPU bundle carries a copy), else ../shared from the repository root.</summary>
    public static string Shared { get; } = Environment.GetEnvironmentVariable("SLICEGPT_SHARED") is { Length: > 0 } shared
        ? Path.GetFullPath(shared)
        : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>A path under ../shared; fails the test with a clear message if it is missing.</summary>
    public static string Get(params string[] parts)
    {
        var path = Path.Combine([Shared, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            Assert.Fail($"shared fixture missing: {path}");
        return path;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SliceGpt.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"SliceGpt.sln not found above {AppContext.BaseDirectory}");
    }
}
