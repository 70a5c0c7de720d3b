namespace SliceGpt.Cli;

/// <summary>
/// A fault-injection seam for the interrupt tests: with <c>SLICEGPT_TEST_HOLD=calibrating</c> or <c>=writing</c> in the
/// environment, the process announces "hold: POINT" on stderr at that point of <c>slice</c> and waits there, so a test can
/// deliver SIGINT or SIGTERM exactly mid-calibration or mid-write. Without the variable it does nothing.
/// </summary>
internal static class TestHold
{
    public const string Variable = "SLICEGPT_TEST_HOLD";

    private static readonly string? Point = Environment.GetEnvironmentVariable(Variable);

    public static void At(string point, TextWriter err)
    {
        if (Point != point)
            return;
        err.WriteLine($"hold: {point}");
        err.Flush();
        Thread.Sleep(Timeout.Infinite);
    }
}
