using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu;

/// <summary>
/// What the per-matmul suites found besides the timings (which live in <see cref="GpuTimings"/>): cases that could not run
/// for an expected reason (a layout the installed cuSPARSELt does not implement), and a note per 2:4 case (the algorithm
/// the plan runs, its workspace, padding). In-process, so the exporters see what the benchmarks recorded.
/// </summary>
internal static class GemmResults
{
    private static readonly Dictionary<string, string> Skips = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, string> Notes = new(StringComparer.Ordinal);
    private static readonly Lock StoreLock = new();

    /// <summary>Forgets <paramref name="id"/>'s status, note and samples (its setup starts afresh).</summary>
    public static void Reset(string id)
    {
        lock (StoreLock)
        {
            Skips.Remove(id);
            Notes.Remove(id);
        }
        GpuTimings.Reset(id);
    }

    /// <summary>Marks <paramref name="id"/> as not run because of <paramref name="reason"/> (one line).</summary>
    public static void Skip(string id, string reason)
    {
        lock (StoreLock)
            Skips[id] = reason;
    }

    /// <summary>Why <paramref name="id"/> did not run, or null.</summary>
    public static string? SkipReason(string id)
    {
        lock (StoreLock)
            return Skips.GetValueOrDefault(id);
    }

    /// <summary>Records a one-line note about how <paramref name="id"/> ran.</summary>
    public static void Note(string id, string note)
    {
        lock (StoreLock)
            Notes[id] = note;
    }

    /// <summary>The note of <paramref name="id"/>, or null.</summary>
    public static string? NoteOf(string id)
    {
        lock (StoreLock)
            return Notes.GetValueOrDefault(id);
    }

    /// <summary>"ok", the skip reason, or "not run" when a case has no samples (its setup failed: see the log).</summary>
    public static string Status(string id) =>
        SkipReason(id) ?? (GpuTimings.Get(id).Length > 0 ? "ok" : "not run (see the log)");
}
