namespace SliceGpt.Runtime.Inference.Forward;

/// <summary>
/// A device whose every operation is timed by an <see cref="IOpClock"/>: the forward driver runs it unchanged, so the
/// profile describes exactly the passes the session runs. Used only when <see cref="SessionOptions.Profile"/> is set.
/// </summary>
internal sealed class ProfiledDevice<TLayer>(IForwardDevice<TLayer> inner, IOpClock clock) : IForwardDevice<TLayer>
{
    private readonly long[] _calls = new long[Enum.GetValues<ForwardOp>().Length];
    private readonly double[] _milliseconds = new double[Enum.GetValues<ForwardOp>().Length];
    private long _passes;
    private double _wall;

    /// <summary>Adds one session call's wall time.</summary>
    public void AddPass(TimeSpan wall)
    {
        _passes++;
        _wall += wall.TotalMilliseconds;
    }

    /// <summary>The profile since the last take (the device's queued work must have finished), then starts afresh.</summary>
    public ForwardProfile Take()
    {
        clock.Collect(_calls, _milliseconds);
        var ops = Enumerable.Range(0, _calls.Length).Where(i => _calls[i] > 0)
            .Select(i => new OpTiming((ForwardOp)i, _calls[i], _milliseconds[i])).ToArray();
        var profile = new ForwardProfile(ops, _passes, _wall);
        Array.Clear(_calls);
        Array.Clear(_milliseconds);
        (_passes, _wall) = (0, 0);
        return profile;
    }

    public void Stage(ReadOnlySpan<int> tokens, BatchLayout batch)
    {
        clock.Begin();
        inner.Stage(tokens, batch);
        clock.End(ForwardOp.Stage);
    }

    public void Embed(Activation output, int rows)
    {
        clock.Begin();
        inner.Embed(output, rows);
        clock.End(ForwardOp.Embed);
    }

    public void Norm(TLayer layer, NormSite site, Activation x, Activation y, int rows, int width)
    {
        clock.Begin();
        inner.Norm(layer, site, x, y, rows, width);
        clock.End(site == NormSite.Attention ? ForwardOp.AttentionNorm : ForwardOp.MlpNorm);
    }

    public void FinalNorm(Activation x, Activation y, int rows, int width)
    {
        clock.Begin();
        inner.FinalNorm(x, y, rows, width);
        clock.End(ForwardOp.FinalNorm);
    }

    public void Linear(TLayer layer, LinearSite site, Activation x, Activation y, int rows, bool accumulate)
    {
        clock.Begin();
        inner.Linear(layer, site, x, y, rows, accumulate);
        clock.End(site switch
        {
            LinearSite.Qkv => ForwardOp.QkvProjection,
            LinearSite.AttentionOut => ForwardOp.AttentionOutput,
            LinearSite.Up => ForwardOp.UpProjection,
            _ => ForwardOp.DownProjection,
        });
    }

    public void Shortcut(TLayer layer, ShortcutSite site, Activation x, Activation y, int rows)
    {
        clock.Begin();
        inner.Shortcut(layer, site, x, y, rows);
        clock.End(ForwardOp.Shortcut);
    }

    public void Attention(int cacheLayer, BatchLayout batch)
    {
        clock.Begin();
        inner.Attention(cacheLayer, batch);
        clock.End(ForwardOp.Attention);
    }

    public Activation Activate(int rows)
    {
        clock.Begin();
        var result = inner.Activate(rows);
        clock.End(ForwardOp.Activation);
        return result;
    }

    public void LastLogits(BatchLayout batch, Span<float> logits)
    {
        clock.Begin();
        inner.LastLogits(batch, logits);
        clock.End(ForwardOp.HeadAndReadback);
    }

    public void TargetLogProbs(BatchLayout batch, ReadOnlySpan<int> targets, Span<double> logProbs, Span<int> greedy)
    {
        clock.Begin();
        inner.TargetLogProbs(batch, targets, logProbs, greedy);
        clock.End(ForwardOp.HeadAndReadback);
    }

    public void RowNegLogLikelihoods(int batch, int seqLen, Span<double> nllPerRow)
    {
        clock.Begin();
        inner.RowNegLogLikelihoods(batch, seqLen, nllPerRow);
        clock.End(ForwardOp.HeadAndReadback);
    }

    public void CopyBlock(int source, int target)
    {
        clock.Begin();
        inner.CopyBlock(source, target);
        clock.End(ForwardOp.CopyBlock);
    }
}
