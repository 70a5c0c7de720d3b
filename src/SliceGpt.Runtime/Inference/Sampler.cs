namespace SliceGpt.Runtime.Inference;

/// <summary>
/// Chooses the next token from logits: greedy at temperature 0, otherwise softmax(logits / T) restricted to
/// the nucleus of mass top-p. Seeded and allocation-free after construction; not thread-safe.
/// </summary>
public sealed class Sampler
{
    private readonly float[] _probs;  // (vocab)
    private readonly int[] _order;    // (vocab) candidate ids, most probable first
    private readonly Comparison<int> _byProbabilityDescending;
    private ulong _state;

    /// <summary>Softmax temperature; 0 selects the most probable token.</summary>
    public float Temperature { get; }

    /// <summary>Nucleus mass in (0, 1]; 1 disables top-p.</summary>
    public float TopP { get; }

    /// <summary>Creates a sampler for <paramref name="vocabSize"/> logits.</summary>
    public Sampler(int vocabSize, float temperature, float topP, ulong seed)
    {
        if (!(temperature >= 0) || float.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the temperature must be a finite number ≥ 0");
        if (!(topP > 0 && topP <= 1))
            throw new ArgumentOutOfRangeException(nameof(topP), topP, "top-p must be in (0, 1]");
        _probs = new float[vocabSize];
        _order = new int[vocabSize];
        Temperature = temperature;
        TopP = topP;
        _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;
        // Cached so that sorting the nucleus allocates nothing per token.
        _byProbabilityDescending = (a, b) => _probs[b].CompareTo(_probs[a]) is var c && c != 0 ? c : a.CompareTo(b);
    }

    /// <summary>The index of the largest logit (the lowest index on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
                best = i;
        }
        return best;
    }

    /// <summary>Draws the next token.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (Temperature == 0)
            return ArgMax(logits);
        int n = logits.Length;
        float max = logits[ArgMax(logits)];
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            _probs[i] = MathF.Exp((logits[i] - max) / Temperature);
            sum += _probs[i];
        }
        for (int i = 0; i < n; i++)
            _probs[i] = (float)(_probs[i] / sum);
        float coin = NextFloat();
        return TopP >= 1 ? SampleAll(coin, n) : SampleNucleus(coin, n);
    }

    private int SampleAll(float coin, int n)
    {
        float cdf = 0;
        for (int i = 0; i < n; i++)
        {
            cdf += _probs[i];
            if (coin < cdf)
                return i;
        }
        return n - 1;
    }

    // Sorts only the tokens that can be in the nucleus: any token with p < (1 − topP)/(n − 1) cannot be.
    private int SampleNucleus(float coin, int n)
    {
        float cutoff = (1 - TopP) / (n - 1);
        int count = 0;
        for (int i = 0; i < n; i++)
        {
            if (_probs[i] >= cutoff)
                _order[count++] = i;
        }
        var probs = _probs;
        _order.AsSpan(0, count).Sort(_byProbabilityDescending);
        float mass = 0;
        int last = count - 1;
        for (int i = 0; i < count; i++)
        {
            mass += probs[_order[i]];
            if (mass > TopP)
            {
                last = i;
                break;
            }
        }
        float r = coin * mass, cdf = 0;
        for (int i = 0; i <= last; i++)
        {
            cdf += probs[_order[i]];
            if (r < cdf)
                return _order[i];
        }
        return _order[last];
    }

    // xorshift64*: deterministic across platforms and runtimes, unlike System.Random's unspecified algorithm.
    private float NextFloat()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        ulong bits = (_state * 0x2545F4914F6CDD1DUL) >> 40; // 24 random bits
        return bits / 16777216f;
    }
}
