namespace SliceGpt.Bench.Support;

/// <summary>Finds the read-only fixtures in ../shared beside the repository root (or $SLICEGPT_SHARED).</summary>
internal static class SharedFiles
{
    public static string Get(params string[] parts)
    {
        var root = Environment.GetEnvironmentVariable("SLICEGPT_SHARED") ?? FindShared();
        var path = Path.Combine([root, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"benchmark fixture missing: {path} (set SLICEGPT_SHARED to the shared folder)", path);
        return path;
    }

    private static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SliceGpt.sln")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
            if (Directory.Exists(Path.Combine(dir.FullName, "shared", "models")))
                return Path.Combine(dir.FullName, "shared");
        }
        throw new DirectoryNotFoundException($"no shared folder above {AppContext.BaseDirectory}; set SLICEGPT_SHARED");
    }
}
