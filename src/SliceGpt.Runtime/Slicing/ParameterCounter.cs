using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// Parameter counts from a configuration alone, so a slicing plan can be priced before any weight is read.
/// Conventions of the reference implementation for sliced models: the head is untied and unsliced (unless
/// the head is sliced too), norms are weightless, a LayerNorm's shift is folded into a bias (created where the
/// linear had none, e.g. OPT's head), and both shortcut matrices of each block are counted.
/// </summary>
public static class ParameterCounter
{
    /// <summary>The dense checkpoint's count: norms with their scales (and shifts), a tied head counted once.</summary>
    public static long Dense(ModelConfig c)
    {
        long d = c.Dim, qkv = c.QDim + 2L * c.KvDim;
        long norm = c.Norm == NormKind.LayerNorm ? 2 * d : d;
        long total = (long)c.VocabSize * d + PositionRows(c) * d;
        long perLayer = qkv * d + (c.AttentionBias ? qkv : 0)
            + d * c.QDim + (c.AttentionBias ? d : 0)
            + (long)c.UpDim * d + (c.MlpBias ? c.UpDim : 0)
            + d * c.HiddenDim + (c.MlpBias ? d : 0)
            + norm * (c.Block == BlockKind.Sequential ? 2 : 1);
        total += perLayer * c.NLayers + norm;
        if (!c.TiedEmbeddings)
            total += (long)c.VocabSize * d + (c.HeadBias ? c.VocabSize : 0);
        return total;
    }

    /// <summary>The count of the fused, rotated and sliced model with the given per-layer widths.</summary>
    public static long Sliced(ModelConfig c, IReadOnlyList<LayerWidths> widths)
    {
        if (widths.Count != c.NLayers)
            throw new ArgumentException($"{widths.Count} layer widths for a model of {c.NLayers} layers", nameof(widths));
        // Folding a LayerNorm's shift gives every linear that reads a norm a bias.
        bool shiftFolded = c.Norm == NormKind.LayerNorm;
        bool qkvBias = c.AttentionBias || shiftFolded, upBias = c.MlpBias || shiftFolded;
        long qkv = c.QDim + 2L * c.KvDim;
        long total = ((long)c.VocabSize + PositionRows(c)) * widths[0].In;
        foreach (var w in widths)
        {
            bool parallel = c.Block == BlockKind.Parallel;
            long mlpIn = parallel ? w.In : w.Mid;
            long attnOut = parallel ? w.Out : w.Mid;
            total += qkv * w.In + (qkvBias ? qkv : 0)
                + attnOut * c.QDim + (c.AttentionBias ? attnOut : 0)
                + c.UpDim * mlpIn + (upBias ? c.UpDim : 0)
                + (long)w.Out * c.HiddenDim + (c.MlpBias ? w.Out : 0)
                + (parallel ? (long)w.In * w.Out : (long)w.In * w.Mid + (long)w.Mid * w.Out);
        }
        total += (long)c.VocabSize * widths[^1].Out + (c.HeadBias || shiftFolded ? c.VocabSize : 0);
        return total;
    }

    private static long PositionRows(ModelConfig c) => c.LearnedPositionOffset is int offset ? c.MaxSeqLen + offset : 0;
}
