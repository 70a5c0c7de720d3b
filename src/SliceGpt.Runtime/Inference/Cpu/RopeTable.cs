using System.Numerics;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cpu;

/// <summary>
/// Precomputed cos/sin of every (position, frequency), computed in double:
/// inv_freq_i = θ^(−2i/rotaryDim), i &lt; rotaryDim/2, with Llama 3's scaling when configured.
/// </summary>
public sealed class RopeTable<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly T[] _cos; // (maxSeqLen, rotaryDim / 2)
    private readonly T[] _sin; // (maxSeqLen, rotaryDim / 2)

    /// <summary>Which coordinates rotate together.</summary>
    public RopeLayout Layout { get; }

    /// <summary>Width of one head.</summary>
    public int HeadDim { get; }

    /// <summary>Leading dims of a head that rotate.</summary>
    public int RotaryDim { get; }

    /// <summary>Builds the table for positions [0, maxSeqLen).</summary>
    public RopeTable(ModelConfig config, int maxSeqLen)
    {
        Layout = config.Rope;
        HeadDim = config.HeadDim;
        RotaryDim = config.RotaryDim;
        int half = RotaryDim / 2;
        var invFreq = InverseFrequencies(config);
        _cos = new T[maxSeqLen * half];
        _sin = new T[maxSeqLen * half];
        for (int p = 0; p < maxSeqLen; p++)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = p * invFreq[i];
                _cos[p * half + i] = T.CreateTruncating(Math.Cos(angle));
                _sin[p * half + i] = T.CreateTruncating(Math.Sin(angle));
            }
        }
    }

    /// <summary>cos of every frequency at <paramref name="position"/>.</summary>
    public ReadOnlySpan<T> Cos(int position) => _cos.AsSpan(position * (RotaryDim / 2), RotaryDim / 2);

    /// <summary>sin of every frequency at <paramref name="position"/>.</summary>
    public ReadOnlySpan<T> Sin(int position) => _sin.AsSpan(position * (RotaryDim / 2), RotaryDim / 2);

    /// <summary>The rotary inverse frequencies, Llama 3 scaling applied.</summary>
    public static double[] InverseFrequencies(ModelConfig config)
    {
        int half = config.RotaryDim / 2;
        var inv = new double[half];
        for (int i = 0; i < half; i++)
            inv[i] = 1.0 / Math.Pow(config.RopeTheta, 2.0 * i / config.RotaryDim);
        if (config.RopeScaling is { } s)
        {
            double lowWavelen = s.OriginalMaxPositions / s.LowFreqFactor;
            double highWavelen = s.OriginalMaxPositions / s.HighFreqFactor;
            for (int i = 0; i < half; i++)
            {
                double wavelen = 2 * Math.PI / inv[i];
                if (wavelen > lowWavelen)
                    inv[i] /= s.Factor;
                else if (wavelen >= highWavelen)
                {
                    double smooth = (s.OriginalMaxPositions / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    inv[i] = (1 - smooth) * inv[i] / s.Factor + smooth * inv[i];
                }
            }
        }
        return inv;
    }
}
