using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Numerics;

namespace SliceGpt.Runtime.Diagnostics;

/// <summary>Where non-finite values first appear in a forward pass.</summary>
/// <param name="Layer">The block (−1: the embeddings; the layer count: the final norm and head).</param>
/// <param name="Stage">What was checked there ("attention (mid-block residual)", "MLP (block output)", "the head's logits"...).</param>
/// <param name="Position">The first token position holding a non-finite value.</param>
/// <param name="Value">That value.</param>
public sealed record NonFiniteOrigin(int Layer, string Stage, int Position, float Value)
{
    /// <summary>"layer 3, MLP (block output)".</summary>
    public string Where => Stage.StartsWith("the ", StringComparison.Ordinal) ? Stage : $"layer {Layer}, {Stage}";
}

/// <summary>
/// The diagnostic pass behind <see cref="NonFiniteValueException"/>: re-runs one sequence through the model on the CPU in
/// float32, block by block (the slicing pipeline's block runners of <see cref="CpuSession{T}"/>), checking every block's
/// output, and reports the first stage that holds a NaN or infinity. It runs only after a forward pass produced one.
/// </summary>
public static class NonFiniteLocator
{
    // The head's logits are computed this many positions at a time (bounds the buffer to LogitRows · vocab).
    private const int LogitRows = 64;

    /// <summary>The first stage where <paramref name="tokens"/> (from position 0) produce a non-finite value, or null when none does.</summary>
    public static NonFiniteOrigin? Locate(TransformerModel<float> model, ReadOnlySpan<int> tokens)
    {
        int n = tokens.Length;
        if (n == 0)
            return null;
        // The block runners need rows of at least two tokens; with causal attention a repeated last token changes
        // nothing at the positions checked (0..n−1).
        int seqLen = Math.Max(2, n);
        var row = new int[seqLen];
        tokens.CopyTo(row);
        if (n == 1)
            row[1] = row[0];
        int width = model.Layers.Select(l => Math.Max(l.DIn, Math.Max(l.DMid, l.DOut))).DefaultIfEmpty(model.Embedding.Cols)
            .Append(model.Embedding.Cols).Max();
        var x = new float[seqLen * width];
        var y = new float[seqLen * width];
        var mid = new float[seqLen * width];
        using var session = new CpuSession<float>(model, 1, seqLen, cachedLayers: 1);

        session.EmbedRows(row, 1, seqLen, x);
        if (First(x, n, model.Embedding.Cols, -1, "the embeddings") is { } embedding)
            return embedding;
        for (int l = 0; l < model.Layers.Length; l++)
        {
            var layer = model.Layers[l];
            if (model.Config.Block == BlockKind.Parallel)
            {
                session.ParallelBlock(layer, x, y, 1, seqLen);
                if (First(y, n, layer.DOut, l, "block output") is { } block)
                    return block;
            }
            else
            {
                session.AttentionResidual(layer, x, mid, 1, seqLen);
                if (First(mid, n, layer.DMid, l, "attention (mid-block residual)") is { } attention)
                    return attention;
                session.MlpResidual(layer, mid, y, seqLen);
                if (First(y, n, layer.DOut, l, "MLP (block output)") is { } mlp)
                    return mlp;
            }
            (x, y) = (y, x);
        }
        int headIn = model.Head.InFeatures, layers = model.Layers.Length;
        var normed = new float[seqLen * headIn];
        CpuOps<float>.Norm(model.FinalNorm, x, normed, n, headIn);
        if (First(normed, n, headIn, layers, "the final norm") is { } norm)
            return norm;
        int vocab = model.Config.VocabSize;
        var logits = new float[Math.Min(n, LogitRows) * vocab];
        for (int first = 0; first < n; first += LogitRows)
        {
            int count = Math.Min(LogitRows, n - first);
            CpuOps<float>.Linear(model.Head, normed.AsSpan(first * headIn, count * headIn), logits, count);
            if (First(logits, count, vocab, layers, "the head's logits") is { } head)
                return head with { Position = head.Position + first };
        }
        return null;
    }

    private static NonFiniteOrigin? First(float[] values, int rows, int width, int layer, string stage)
    {
        long bad = NonFiniteScan.IndexOfNonFinite<float>(values.AsSpan(0, rows * width));
        return bad < 0 ? null : new NonFiniteOrigin(layer, stage, (int)(bad / width), values[bad]);
    }
}
