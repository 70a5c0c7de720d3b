using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference;

/// <summary>The limits every session checks at creation, whatever its device.</summary>
internal static class SessionLimits
{
    /// <summary>Refuses a context the model cannot hold.</summary>
    public static void Check(ModelConfig c, int maxSeqLen)
    {
        if (maxSeqLen > c.MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(maxSeqLen), maxSeqLen, $"the model supports at most {c.MaxSeqLen} positions");
        if (c.SlidingWindow is int window && maxSeqLen > window)
            throw new ArgumentOutOfRangeException(nameof(maxSeqLen), maxSeqLen,
                $"sequences longer than the sliding window ({window}) are not supported");
    }
}
