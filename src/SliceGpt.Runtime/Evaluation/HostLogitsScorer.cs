using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using SliceGpt.Runtime.Inference;

namespace SliceGpt.Runtime.Evaluation;

/// <summary>A session's full-logits call: every position of <paramref name="batch"/> rows of <paramref name="seqLen"/> tokens, from position 0.</summary>
internal delegate void LogitsFunction(ReadOnlySpan<int> rows, int batch, int seqLen, Span<float> logits);

/// <summary>A session and its full-logits call.</summary>
internal sealed record LogitsSession(IInferenceSession Session, LogitsFunction Logits);

/// <summary>
/// The interim <see cref="ILogProbScorer"/>: each (context, continuation) is its own row, rows of similar length are
/// packed into one forward and right-padded to the longest (causal attention makes the padding invisible to the real
/// tokens), the session returns the logits of every position, and log-softmax and gather run here in float64.
/// </summary>
/// <remarks>
/// It recomputes each context once per continuation and moves all logits to the host, which a KV-sharing session with
/// on-device log-softmax avoids; the scores are the same. One call carries several forwards' worth of rows, so that
/// sorting them by length leaves little padding. Sessions are sized per padded length (rounded up to
/// <see cref="LengthStep"/>) so that short rows fill a forward too; the plan runs longest first, so each size is
/// opened about once (the last two stay open, as consecutive calls overlap in length).
/// </remarks>
internal sealed class HostLogitsScorer : ILogProbScorer
{
    /// <summary>Padded lengths are rounded up to a multiple of this before a session is sized for them.</summary>
    public const int LengthStep = 16;

    private const int ForwardsPerCall = 4;
    private const int OpenSessions = 2;
    private const int PaddingToken = 0;

    private readonly Func<int, int, LogitsSession> _open;
    private readonly int _vocab;
    private readonly int _tokensPerForward;
    private readonly List<LogitsSession> _sessions = [];  // most recently used first
    private int[] _rows = [];              // (maxBatch · maxSeqLen) the padded inputs of one forward
    private float[] _logits = [];          // (maxBatch · maxSeqLen, vocab)

    /// <summary>
    /// A scorer whose forwards carry about <paramref name="tokensPerForward"/> tokens, over sessions that
    /// <paramref name="open"/> creates for (maxBatch, maxSeqLen); the scorer owns them.
    /// </summary>
    public HostLogitsScorer(Func<int, int, LogitsSession> open, string backend, int vocabSize, int maxLength, int tokensPerForward)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerForward, 1);
        _open = open;
        Backend = backend;
        _vocab = vocabSize;
        MaxLength = maxLength;
        _tokensPerForward = tokensPerForward;
    }

    /// <inheritdoc/>
    public string Backend { get; }

    /// <inheritdoc/>
    public int MaxLength { get; }

    /// <inheritdoc/>
    public int TokensPerCall => ForwardsPerCall * _tokensPerForward;

    /// <inheritdoc/>
    public void Score(ReadOnlySpan<ContextGroup> groups, Span<ContinuationScore> scores)
    {
        var rows = new List<Row>();
        for (int g = 0, output = 0; g < groups.Length; g++)
        {
            var group = groups[g];
            for (int c = 0; c < group.Continuations.Length; c++, output++)
            {
                var row = new Row(group.Context, group.Continuations[c], output);
                if (group.Context.IsEmpty || group.Continuations[c].IsEmpty || row.InputLength > MaxLength)
                    throw new ArgumentException($"request {output}: context {group.Context.Length} and continuation {group.Continuations[c].Length} tokens do not fit 1..{MaxLength} input tokens");
                rows.Add(row);
            }
        }
        if (scores.Length < rows.Count)
            throw new ArgumentException($"{rows.Count} continuations need as many scores, got {scores.Length}", nameof(scores));
        // Longest first, so each forward pads its rows to a length close to theirs.
        rows.Sort((a, b) => b.InputLength.CompareTo(a.InputLength));
        var results = new ContinuationScore[rows.Count];
        for (int start = 0; start < rows.Count;)
        {
            var session = SessionFor(rows[start].InputLength);
            int batch = Math.Min(session.Session.MaxBatch, rows.Count - start);
            Forward(session, rows.GetRange(start, batch), results.AsSpan(start, batch));
            start += batch;
        }
        for (int i = 0; i < rows.Count; i++)
            scores[rows[i].Output] = results[i];
    }

    // An open session sized for this length's step, else a new one (closing the least recently used beyond OpenSessions).
    private LogitsSession SessionFor(int inputLength)
    {
        int seqLen = Math.Max(Math.Max(2, inputLength), Math.Min(MaxLength, (inputLength + LengthStep - 1) / LengthStep * LengthStep));
        int index = _sessions.FindIndex(s => s.Session.MaxSeqLen == seqLen);
        var session = index >= 0 ? _sessions[index] : _open(Math.Max(1, _tokensPerForward / seqLen), seqLen);
        if (index >= 0)
            _sessions.RemoveAt(index);
        _sessions.Insert(0, session);
        while (_sessions.Count > OpenSessions)
        {
            _sessions[^1].Session.Dispose();
            _sessions.RemoveAt(_sessions.Count - 1);
        }
        int tokens = session.Session.MaxBatch * session.Session.MaxSeqLen;
        if (_rows.Length < tokens)
        {
            _rows = new int[tokens];
            _logits = new float[checked(tokens * _vocab)];
        }
        return session;
    }

    // Runs rows as one forward padded to the first (longest) and scores each.
    private void Forward(LogitsSession session, List<Row> rows, Span<ContinuationScore> results)
    {
        int batch = rows.Count;
        int seqLen = Math.Max(2, rows[0].InputLength); // the sessions take rows of at least two tokens
        for (int r = 0; r < batch; r++)
        {
            var row = _rows.AsSpan(r * seqLen, seqLen);
            var context = rows[r].Context.Span;
            var continuation = rows[r].Continuation.Span;
            context.CopyTo(row);
            continuation[..^1].CopyTo(row[context.Length..]);
            row[(context.Length + continuation.Length - 1)..].Fill(PaddingToken);
        }
        session.Logits(_rows.AsSpan(0, batch * seqLen), batch, seqLen, _logits.AsSpan(0, batch * seqLen * _vocab));

        var scored = new ContinuationScore[batch];
        int workers = Math.Min(Environment.ProcessorCount, batch);
        if (workers == 1)
            ScoreRows(rows, 0, batch, seqLen, scored);
        else
            Parallel.For(0, workers, w => ScoreRows(rows, batch * w / workers, batch * (w + 1) / workers, seqLen, scored));
        scored.CopyTo(results);
    }

    // Continuation token j of a row is predicted at position context + j − 1.
    private void ScoreRows(List<Row> rows, int first, int end, int seqLen, ContinuationScore[] scored)
    {
        for (int r = first; r < end; r++)
        {
            var row = rows[r];
            var tokens = row.Continuation.Span;
            double sum = 0;
            bool greedy = true;
            for (int j = 0; j < tokens.Length; j++)
            {
                int position = r * seqLen + row.Context.Length + j - 1;
                sum += LogProbability(_logits.AsSpan(position * _vocab, _vocab), tokens[j], out bool isArgmax);
                greedy &= isArgmax;
            }
            scored[r] = new ContinuationScore(sum, greedy);
        }
    }

    /// <summary>log softmax(<paramref name="logits"/>)[<paramref name="token"/>] in float64; whether the token is the (first) argmax.</summary>
    /// <remarks>One pass after the argmax: eight logits at a time widened to float64, shifted by the maximum, exponentiated and summed.</remarks>
    internal static double LogProbability(ReadOnlySpan<float> logits, int token, out bool isArgmax)
    {
        int argmax = TensorPrimitives.IndexOfMax(logits);
        isArgmax = argmax == token;
        double max = logits[argmax];
        var shift = Vector256.Create(max);
        var sums = Vector256<double>.Zero;
        int i = 0;
        for (; i + Vector256<float>.Count <= logits.Length; i += Vector256<float>.Count)
        {
            var (lower, upper) = Vector256.Widen(Vector256.Create(logits.Slice(i, Vector256<float>.Count)));
            sums += Vector256.Exp(lower - shift) + Vector256.Exp(upper - shift);
        }
        double sum = Vector256.Sum(sums);
        for (; i < logits.Length; i++)
            sum += Math.Exp(logits[i] - max);
        return logits[token] - (max + Math.Log(sum));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var session in _sessions)
            session.Session.Dispose();
        _sessions.Clear();
    }

    private readonly record struct Row(ReadOnlyMemory<int> Context, ReadOnlyMemory<int> Continuation, int Output)
    {
        public int InputLength => Context.Length + Continuation.Length - 1;
    }
}
