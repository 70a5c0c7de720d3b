using System.Diagnostics;

namespace SliceGpt.Cli;

/// <summary>A one-line progress bar redrawn in place on stderr, shown only when stderr is a terminal.</summary>
internal sealed class TerminalProgress : IProgress<(int Done, int Total)>, IDisposable
{
    private const int Width = 30;
    private readonly TextWriter _err;
    private readonly string _unit;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDraw = -1;
    private bool _drawn;

    private TerminalProgress(TextWriter err, string unit) => (_err, _unit) = (err, unit);

    /// <summary>A bar on <paramref name="err"/> if it is the console's stderr and that is a terminal, else null.</summary>
    public static TerminalProgress? Create(TextWriter err, string unit) =>
        ReferenceEquals(err, Console.Error) && !Console.IsErrorRedirected ? new TerminalProgress(err, unit) : null;

    public void Report((int Done, int Total) value)
    {
        // At most ten redraws a second, and always the last one.
        long now = _clock.ElapsedMilliseconds;
        if (value.Done < value.Total && _lastDraw >= 0 && now - _lastDraw < 100)
            return;
        _lastDraw = now;
        int filled = value.Total == 0 ? Width : (int)((long)Width * value.Done / value.Total);
        _err.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {value.Done}/{value.Total} {_unit}, {now / 1000.0:F0} s");
        _drawn = true;
    }

    /// <summary>Ends the bar's line.</summary>
    public void Finish()
    {
        if (_drawn)
            _err.WriteLine();
        _drawn = false;
    }

    public void Dispose() => Finish();
}
