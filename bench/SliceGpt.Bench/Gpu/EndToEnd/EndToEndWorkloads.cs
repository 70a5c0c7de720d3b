using System.Numerics.Tensors;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Cuda;

namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>One case's prepared work: a session and its events, checked and warmed up.</summary>
internal interface IEndToEndWorkload : IDisposable
{
    /// <summary>Runs one BenchmarkDotNet call's work and writes its GPU-timed samples (microseconds).</summary>
    void TimeCall(Span<double> microseconds);
}

/// <summary>Makes the workloads; the tests replace <see cref="Create"/> to run the suites' plumbing without a GPU.</summary>
internal static class EndToEndWorkloads
{
    /// <summary>The factory the suites use: the case's model (uploaded once per variant), then a prefill or decode workload.</summary>
    /// <exception cref="CaseSkippedException">The model or the session does not fit.</exception>
    public static Func<EndToEndCase, IEndToEndWorkload> Create { get; set; } = OnGpu;

    private static IEndToEndWorkload OnGpu(EndToEndCase c)
    {
        var model = EndToEndModels.Load(c.Variant);
        return c.Kind == EndToEndKind.Prefill ? new PrefillWorkload(model, c) : new DecodeWorkload(model, c);
    }
}

/// <summary>
/// The common part: the session on the model, the timing events on the session's own stream, and the out-of-memory
/// case (a batch too large for the device is an expected outcome of the batch doubling, reported, not failed).
/// </summary>
internal abstract class SessionWorkload : IEndToEndWorkload
{
    private readonly CudaEvent[] _marks;    // (SamplesPerCall + 1) for decode; pairs for prefill
    private bool _disposed;

    protected SessionWorkload(LoadedModel model, EndToEndCase c, int maxBatch, int maxSeqLen, int marks)
    {
        Case = c;
        try
        {
            Session = model.Model.CreateSession(maxBatch, maxSeqLen);
        }
        catch (CudaException e) when (e.StatusCode == (int)CuResult.OutOfMemory)
        {
            throw new CaseSkippedException($"out of memory: {e.Message}");
        }
        try
        {
            Stream = Session.Stream ?? throw new InvalidOperationException("a CUDA session always has a stream");
            var context = EndToEndModels.Backend().Context;
            _marks = Enumerable.Range(0, marks).Select(_ => context.CreateEvent()).ToArray();
        }
        catch
        {
            Session.Dispose();
            throw;
        }
    }

    protected EndToEndCase Case { get; }

    protected CudaSession<Half> Session { get; }

    protected CudaStream Stream { get; }

    /// <summary>Queues timing mark <paramref name="i"/> on the session's stream, after everything queued so far.</summary>
    protected void Mark(int i) => _marks[i].Record(Stream);

    /// <summary>GPU milliseconds between marks, in microseconds.</summary>
    protected double Between(int first, int second) => 1000.0 * _marks[second].ElapsedMillisecondsSince(_marks[first]);

    public abstract void TimeCall(Span<double> microseconds);

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var mark in _marks)
            mark.Dispose();
        Session.Dispose();
    }

    /// <summary>Random token ids (the timings do not depend on them; random so that no row is special).</summary>
    protected int[] RandomTokens(int count)
    {
        var rng = new Random(12345);
        return Enumerable.Range(0, count).Select(_ => rng.Next(Session.Config.VocabSize)).ToArray();
    }

    /// <summary>
    /// The setup's sanity check of a forward: a mean negative log-likelihood per token that is finite and near ln(vocab)
    /// (a uniform prediction gives ln(vocab); these random weights give about ln(vocab) + 0.8). NaN, infinities, or
    /// fp16 overflow give values far outside [ln(vocab)/2, 2·ln(vocab)], so a broken forward is never timed.
    /// </summary>
    protected void CheckMeanNll(double meanNll, string what)
    {
        double uniform = Math.Log(Session.Config.VocabSize);
        if (!(meanNll >= uniform / 2 && meanNll <= 2 * uniform))
            throw new InvalidOperationException($"{Case.Id}: {what} gives a mean NLL of {meanNll:G4} per token, expected about " +
                                                $"{uniform:F2} for random weights; not timing a forward that computes garbage");
    }
}

/// <summary>
/// Prefill throughput (paper Table 11): <c>RowNegLogLikelihoods</c> over batch × 128 random tokens, i.e. the forward
/// pass the paper times (HF's model(input_ids): every block and the fp32 logits of every position) plus a per-row loss
/// reduction on the GPU (the logits are consumed in 256-row chunks, under 1% of a 7B forward). Each sample is the GPU
/// time between a mark queued before the call and one queued after it returns: the token upload, the forward, the
/// 8-byte-per-row download and the synchronisation, as a caller sees one forward, launch gaps included.
/// </summary>
internal sealed class PrefillWorkload : SessionWorkload
{
    private readonly int[] _tokens;     // (batch, seqLen)
    private readonly double[] _rowNll;  // (batch)

    public PrefillWorkload(LoadedModel model, EndToEndCase c) : base(model, c, c.Batch, c.SeqLen, 2 * c.SamplesPerCall)
    {
        try
        {
            _tokens = RandomTokens(c.Batch * c.SeqLen);
            _rowNll = new double[c.Batch];
            // The first forward is the check and the warm-up (cuBLAS heuristics, first touch of the session's memory).
            Forward();
            CheckMeanNll(_rowNll.Sum() / (c.Batch * (c.SeqLen - 1.0)), "the forward pass");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public override void TimeCall(Span<double> microseconds)
    {
        for (int i = 0; i < microseconds.Length; i++)
        {
            Mark(2 * i);
            Forward();
            Mark(2 * i + 1);
        }
        for (int i = 0; i < microseconds.Length; i++)
            microseconds[i] = Between(2 * i, 2 * i + 1);
    }

    private void Forward() => Session.RowNegLogLikelihoods(_tokens, Case.Batch, Case.SeqLen, _rowNll);
}

/// <summary>
/// Batch-1 decode latency (paper Table 2): a 128-token prompt (not timed), then <see cref="EndToEndCase.Steps"/>
/// greedy <c>Step</c> calls, each fed the argmax of the previous logits as a generation loop would. A mark is queued
/// before the first step and after every step, so each sample is one whole step as a caller sees it: the token upload,
/// 32 blocks, the head's fp32 logits and their download, the synchronisation, the host's argmax and launch gaps.
/// </summary>
internal sealed class DecodeWorkload : SessionWorkload
{
    private readonly int[] _prompt;     // (seqLen)

    public DecodeWorkload(LoadedModel model, EndToEndCase c) : base(model, c, 1, c.SeqLen + c.Steps, c.Steps + 1)
    {
        try
        {
            _prompt = RandomTokens(c.SeqLen);
            // Warm-up and check: one whole generation, and the logits of its last step must be finite.
            Span<double> ignored = new double[c.Steps];
            TimeCall(ignored);
            var check = new double[1];
            Session.RowNegLogLikelihoods(_prompt, 1, c.SeqLen, check);
            CheckMeanNll(check[0] / (c.SeqLen - 1), "the prompt's forward");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public override void TimeCall(Span<double> microseconds)
    {
        Session.Reset();
        var logits = Session.Prefill(_prompt);
        Mark(0);
        for (int j = 0; j < Case.Steps; j++)
        {
            int next = TensorPrimitives.IndexOfMax(logits);
            if (next < 0)
                throw new InvalidOperationException($"{Case.Id}: step {j} returned no logits");
            logits = Session.Step(next);
            Mark(j + 1);
        }
        if (!float.IsFinite(TensorPrimitives.Sum(logits)))
            throw new InvalidOperationException($"{Case.Id}: the last step's logits are not finite");
        for (int j = 0; j < Case.Steps; j++)
            microseconds[j] = Between(j, j + 1);
    }
}
