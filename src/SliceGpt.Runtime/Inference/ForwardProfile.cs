namespace SliceGpt.Runtime.Inference;

/// <summary>The operations a profiled session times (see <see cref="SessionOptions.Profile"/>).</summary>
public enum ForwardOp
{
    /// <summary>Tokens and positions made the pass's input (host-to-device copies on a GPU).</summary>
    Stage,
    /// <summary>Token embedding (plus learned positions).</summary>
    Embed,
    /// <summary>The norm before attention.</summary>
    AttentionNorm,
    /// <summary>The fused q, k, v projection.</summary>
    QkvProjection,
    /// <summary>RoPE, the KV-cache append and causal attention.</summary>
    Attention,
    /// <summary>The attention output projection.</summary>
    AttentionOutput,
    /// <summary>The norm before the MLP.</summary>
    MlpNorm,
    /// <summary>The MLP input projection.</summary>
    UpProjection,
    /// <summary>The MLP non-linearity.</summary>
    Activation,
    /// <summary>The MLP output projection.</summary>
    DownProjection,
    /// <summary>Shortcut matrices of sliced blocks.</summary>
    Shortcut,
    /// <summary>The final norm.</summary>
    FinalNorm,
    /// <summary>The head and what the pass returns (logits, log-probabilities or NLL sums), read back to the host.</summary>
    HeadAndReadback,
    /// <summary>KV-cache blocks copied on write.</summary>
    CopyBlock,
}

/// <summary>One operation's share of the profiled passes.</summary>
/// <param name="Op">The operation.</param>
/// <param name="Calls">How often it ran.</param>
/// <param name="Milliseconds">Its total time: device time between events on a GPU, wall time on the CPU.</param>
public sealed record OpTiming(ForwardOp Op, long Calls, double Milliseconds);

/// <summary>
/// Where the time of a profiled session's passes went since the last <see cref="IInferenceSession.TakeProfile"/>: every
/// operation's time next to the passes' wall time, so that fixed per-operation costs (launches, synchronisation,
/// host work between operations) show as the difference.
/// </summary>
/// <param name="Ops">Per operation, in pass order; operations that did not run are left out.</param>
/// <param name="Passes">Session calls (prefill, step, batched pass) profiled.</param>
/// <param name="WallMilliseconds">Their wall time, from call to return.</param>
public sealed record ForwardProfile(IReadOnlyList<OpTiming> Ops, long Passes, double WallMilliseconds)
{
    /// <summary>The operations' total time.</summary>
    public double OpMilliseconds => Ops.Sum(o => o.Milliseconds);

    /// <summary>A table: operation, calls, milliseconds, share of the wall time.</summary>
    public string ToTable()
    {
        var lines = new List<string> { $"{"operation",-16} {"calls",8} {"ms",10} {"% wall",7}" };
        foreach (var o in Ops)
            lines.Add($"{o.Op,-16} {o.Calls,8} {o.Milliseconds,10:F3} {100 * o.Milliseconds / Math.Max(WallMilliseconds, 1e-9),6:F1}%");
        lines.Add($"{"operations",-16} {"",8} {OpMilliseconds,10:F3} {100 * OpMilliseconds / Math.Max(WallMilliseconds, 1e-9),6:F1}%");
        lines.Add($"{"wall",-16} {Passes,8} {WallMilliseconds,10:F3} {100.0,6:F1}%");
        return string.Join(Environment.NewLine, lines);
    }
}
