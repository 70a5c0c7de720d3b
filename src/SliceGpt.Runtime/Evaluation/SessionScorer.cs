using SliceGpt.Runtime.Inference;

namespace SliceGpt.Runtime.Evaluation;

/// <summary>
/// The <see cref="ILogProbScorer"/> over a batched session: each context runs once, its keys and values are shared with
/// one KV slot per continuation (<see cref="IInferenceSession.CopySlot"/>: shared blocks on a paged cache, a copy
/// otherwise), and the continuations run as one ragged pass whose log-probabilities and greedy tokens are computed where
/// the model runs (<see cref="IInferenceSession.ScoreTargets"/>): only those numbers come back.
/// </summary>
/// <remarks>
/// A group of context c (n tokens) and continuations e: the first pass runs c[0 … n−2] in the group's first slot; the
/// second runs, in each continuation's slot from position n − 1, the tokens c[n−1], e[0 … m−2] with targets e[0 … m−1].
/// Many groups share each pass, up to the session's slots and tokens per pass. The session is created at the first call,
/// sized for its longest input (the plan sends the longest groups first), and re-created only for a longer one.
/// </remarks>
internal sealed class SessionScorer : ILogProbScorer
{
    private const int MaxSlots = 256;

    private readonly IExecutableModel _model;
    private readonly int _tokensPerPass;
    private IInferenceSession? _session;
    private SequenceChunk[] _chunks = [];
    private int[] _tokens = [], _targets = [], _greedy = [];
    private double[] _logProbs = [];
    private float[] _logits = [];

    public SessionScorer(IExecutableModel model, int maxLength, int tokensPerPass)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerPass, 1);
        _model = model;
        MaxLength = maxLength;
        _tokensPerPass = Math.Max(tokensPerPass, maxLength + 1);
    }

    public string Backend => _model.Backend;

    public int MaxLength { get; }

    // The plan's batches carry a few passes' worth of tokens, so a batch's groups are cut into full passes here.
    public int TokensPerCall => 4 * _tokensPerPass;

    public void Score(ReadOnlySpan<ContextGroup> groups, Span<ContinuationScore> scores)
    {
        int longest = 0, needed = 0;
        foreach (var g in groups)
        {
            if (g.Context.IsEmpty)
                throw new ArgumentException("every context group needs at least one context token");
            foreach (var c in g.Continuations)
            {
                if (c.IsEmpty || g.Context.Length + c.Length - 1 > MaxLength)
                    throw new ArgumentException($"context {g.Context.Length} and continuation {c.Length} tokens do not fit 1..{MaxLength} input tokens");
                longest = Math.Max(longest, g.Context.Length + c.Length - 1);
            }
            needed += g.Continuations.Length;
        }
        if (scores.Length < needed)
            throw new ArgumentException($"{needed} continuations need as many scores, got {scores.Length}", nameof(scores));
        var session = SessionFor(longest);
        int output = 0;
        for (int first = 0; first < groups.Length;)
        {
            int end = PassEnd(groups, first, session.MaxBatch);
            output += ScoreGroups(session, groups[first..end], scores[output..]);
            first = end;
        }
    }

    // The groups from first on whose continuations fit the slots and whose context and continuation tokens each fit a pass.
    private int PassEnd(ReadOnlySpan<ContextGroup> groups, int first, int slots)
    {
        int end = first, used = 0, contextTokens = 0, continuationTokens = 0;
        while (end < groups.Length)
        {
            var g = groups[end];
            int continuations = 0;
            foreach (var c in g.Continuations)
                continuations += c.Length;
            if (end > first && (used + g.Continuations.Length > slots || contextTokens + g.Context.Length - 1 > _tokensPerPass
                || continuationTokens + continuations > _tokensPerPass))
                break;
            used += g.Continuations.Length;
            contextTokens += g.Context.Length - 1;
            continuationTokens += continuations;
            end++;
        }
        return end;
    }

    private int ScoreGroups(IInferenceSession session, ReadOnlySpan<ContextGroup> groups, Span<ContinuationScore> scores)
    {
        // Pass 1: every context but its last token, in its group's first slot (contexts of one token need none).
        int chunks = 0, tokens = 0, slot = 0;
        foreach (var g in groups)
        {
            int n = g.Context.Length - 1;
            if (n > 0)
            {
                _chunks[chunks++] = new SequenceChunk(slot, 0, n);
                g.Context.Span[..n].CopyTo(_tokens.AsSpan(tokens));
                tokens += n;
            }
            slot += g.Continuations.Length;
        }
        if (chunks > 0)
            session.Forward(_chunks.AsSpan(0, chunks), _tokens.AsSpan(0, tokens), _logits.AsSpan(0, chunks * _model.Config.VocabSize));
        // The context's cache continues in one slot per continuation.
        slot = 0;
        foreach (var g in groups)
        {
            for (int k = 1; k < g.Continuations.Length; k++)
                session.CopySlot(slot, slot + k, g.Context.Length - 1);
            slot += g.Continuations.Length;
        }
        // Pass 2: each continuation after the context's last token, scored against its own tokens.
        chunks = tokens = slot = 0;
        foreach (var g in groups)
        {
            int start = g.Context.Length - 1, last = g.Context.Span[start];
            foreach (var c in g.Continuations)
            {
                _chunks[chunks++] = new SequenceChunk(slot++, start, c.Length);
                _tokens[tokens] = last;
                c.Span[..^1].CopyTo(_tokens.AsSpan(tokens + 1));
                c.Span.CopyTo(_targets.AsSpan(tokens));
                tokens += c.Length;
            }
        }
        session.ScoreTargets(_chunks.AsSpan(0, chunks), _tokens.AsSpan(0, tokens), _targets.AsSpan(0, tokens),
            _logProbs.AsSpan(0, tokens), _greedy.AsSpan(0, tokens));
        int row = 0, output = 0;
        foreach (var g in groups)
            foreach (var c in g.Continuations)
            {
                double sum = 0;
                bool greedy = true;
                for (int j = 0; j < c.Length; j++, row++)
                {
                    sum += _logProbs[row];
                    greedy &= _greedy[row] == _targets[row];
                }
                scores[output++] = new ContinuationScore(sum, greedy);
            }
        for (int s = 0; s < slot; s++)
            session.ReleaseSlot(s);
        return output;
    }

    // A session whose slots are as long as the longest input so far, with as many slots as a pass holds continuations of it.
    private IInferenceSession SessionFor(int longest)
    {
        if (_session is not null && _session.MaxSeqLen >= longest)
            return _session;
        _session?.Dispose();
        int length = Math.Max(2, longest);
        int slots = Math.Clamp(2 * _tokensPerPass / length, 4, MaxSlots);
        var options = new SessionOptions(slots, length) { MaxTokensPerPass = _tokensPerPass };
        if (_model.PagesKvCache)
        {
            // Blocks of 64 positions (few per continuation: the CPU attends block by block) for every slot at this length, plus one
            // per slot for copy on write of the shared context's last block.
            const int block = 64;
            options = options with { KvBlockSize = Math.Min(block, length), KvBlocks = slots * ((length + block - 1) / block + 1) };
        }
        _session = _model.CreateSession(options);
        _chunks = new SequenceChunk[slots];
        _tokens = new int[_tokensPerPass];
        _targets = new int[_tokensPerPass];
        _greedy = new int[_tokensPerPass];
        _logProbs = new double[_tokensPerPass];
        _logits = new float[slots * _model.Config.VocabSize];
        return _session;
    }

    public void Dispose() => _session?.Dispose();
}
