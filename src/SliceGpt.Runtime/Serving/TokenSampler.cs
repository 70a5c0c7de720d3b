namespace SliceGpt.Runtime.Serving;

/// <summary>
/// Chooses one sequence's next tokens by its <see cref="SamplingParameters"/>: penalties from the tokens seen so far,
/// temperature, top-k, top-p, min-p and a seeded xorshift draw (deterministic across platforms). Buffers are allocated
/// once per sequence; a draw allocates nothing. Not thread-safe: the engine's loop owns it.
/// </summary>
internal sealed class TokenSampler
{
    private readonly SamplingParameters _p;
    private readonly float[] _scores;     // (vocab) penalised, tempered logits, then probabilities
    private readonly int[] _order;        // (vocab) candidate ids
    private readonly int[] _outputCount;  // (vocab) occurrences in the output
    private readonly bool[] _seen;        // (vocab) in the prompt or the output (repetition penalty)
    private readonly List<int> _seenIds = [];
    private readonly Comparison<int> _byScoreDescending;
    private ulong _state;

    public TokenSampler(int vocabSize, SamplingParameters parameters, ulong seed, IReadOnlyList<int> prompt)
    {
        _p = parameters;
        _scores = new float[vocabSize];
        _order = new int[vocabSize];
        _outputCount = new int[vocabSize];
        _seen = new bool[vocabSize];
        _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;
        _byScoreDescending = (a, b) => _scores[b].CompareTo(_scores[a]) is var c && c != 0 ? c : a.CompareTo(b);
        if (parameters.RepetitionPenalty != 1.0)
            foreach (int id in prompt)
                See(id);
    }

    /// <summary>Records a generated token (for the penalties).</summary>
    public void Accept(int token)
    {
        if ((uint)token >= (uint)_outputCount.Length)
            return;
        _outputCount[token]++;
        See(token);
    }

    /// <summary>The next token for <paramref name="logits"/> (at least the vocabulary's length; extra entries are ignored).</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        int n = _scores.Length;
        logits[..n].CopyTo(_scores);
        ApplyPenalties();
        if (_p.Temperature == 0)
            return ArgMax(_scores);
        float inverseT = (float)(1.0 / _p.Temperature), max = float.NegativeInfinity;
        for (int i = 0; i < n; i++)
            max = Math.Max(max, _scores[i] * inverseT);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            _scores[i] = MathF.Exp(_scores[i] * inverseT - max);
            sum += _scores[i];
        }
        // Candidates: min-p keeps tokens with p ≥ minP · pMax (pMax = 1/sum after the shift); they are then ranked for
        // top-k and top-p. Without those filters the ranking is skipped.
        float floor = (float)_p.MinP;
        int count = 0;
        for (int i = 0; i < n; i++)
            if (_scores[i] >= floor && _scores[i] > 0)
                _order[count++] = i;
        if (count == 0)
            return ArgMax(logits[..n]);
        bool ranked = _p.TopK > 0 && _p.TopK < count || _p.TopP < 1;
        if (ranked)
        {
            _order.AsSpan(0, count).Sort(_byScoreDescending);
            if (_p.TopK > 0)
                count = Math.Min(count, _p.TopK);
            if (_p.TopP < 1)
            {
                double total = 0, kept = 0;
                for (int i = 0; i < count; i++)
                    total += _scores[_order[i]];
                for (int i = 0; i < count; i++)
                {
                    kept += _scores[_order[i]];
                    if (kept >= _p.TopP * total)
                    {
                        count = i + 1;
                        break;
                    }
                }
            }
        }
        double mass = 0;
        for (int i = 0; i < count; i++)
            mass += _scores[_order[i]];
        double r = NextDouble() * mass, cdf = 0;
        for (int i = 0; i < count; i++)
        {
            cdf += _scores[_order[i]];
            if (r < cdf)
                return _order[i];
        }
        return _order[count - 1];
    }

    /// <summary>The index of the largest value, the lowest on ties; NaN never wins.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best] || float.IsNaN(values[best]))
                best = i;
        return best;
    }

    private void ApplyPenalties()
    {
        if (_p.RepetitionPenalty != 1.0)
        {
            float r = (float)_p.RepetitionPenalty;
            foreach (int id in _seenIds)
                _scores[id] = _scores[id] > 0 ? _scores[id] / r : _scores[id] * r;
        }
        if (_p.PresencePenalty != 0 || _p.FrequencyPenalty != 0)
        {
            foreach (int id in _seenIds)
                if (_outputCount[id] > 0)
                    _scores[id] -= (float)(_p.PresencePenalty + _p.FrequencyPenalty * _outputCount[id]);
        }
    }

    private void See(int id)
    {
        if ((uint)id < (uint)_seen.Length && !_seen[id])
        {
            _seen[id] = true;
            _seenIds.Add(id);
        }
    }

    // xorshift64*, 53 random bits.
    private double NextDouble()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return ((_state * 0x2545F4914F6CDD1DUL) >> 11) * (1.0 / (1UL << 53));
    }
}
