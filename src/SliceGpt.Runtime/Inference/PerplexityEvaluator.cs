using System.Diagnostics;

namespace SliceGpt.Runtime.Inference;

/// <summary>A perplexity measurement.</summary>
/// <param name="Perplexity">exp(mean NLL).</param>
/// <param name="Rows">Rows evaluated.</param>
/// <param name="Tokens">Predicted tokens: rows × (seqLen − 1), the denominator of the mean.</param>
/// <param name="SeqLen">Row length.</param>
/// <param name="Seconds">Wall time.</param>
/// <param name="Backend">The backend that computed it.</param>
public sealed record PerplexityResult(double Perplexity, int Rows, long Tokens, int SeqLen, double Seconds, string Backend);

/// <summary>
/// SliceGPT's perplexity protocol: the text tokenised once, cut into non-overlapping rows of seqLen tokens
/// (the last partial row dropped); each row predicts its own seqLen − 1 next tokens; ppl = exp(mean NLL).
/// </summary>
public static class PerplexityEvaluator
{
    /// <summary>The number of complete rows of <paramref name="seqLen"/> in <paramref name="tokenCount"/> tokens, capped by <paramref name="maxRows"/>.</summary>
    public static int RowCount(int tokenCount, int seqLen, int? maxRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seqLen, 2);
        int rows = tokenCount / seqLen;
        return maxRows is int m ? Math.Min(rows, m) : rows;
    }

    /// <summary>Evaluates <paramref name="tokens"/> with a session of the given batch size.</summary>
    /// <exception cref="ArgumentException">The text holds less than one row.</exception>
    public static PerplexityResult Evaluate(IExecutableModel model, int[] tokens, int seqLen, int? maxRows = null,
        int batch = 1, IProgress<(int Done, int Total)>? progress = null)
    {
        int rows = RowCount(tokens.Length, seqLen, maxRows);
        if (rows < 1)
            throw new ArgumentException($"the text has {tokens.Length} tokens, fewer than one row of {seqLen}");
        batch = Math.Clamp(batch, 1, rows);
        var clock = Stopwatch.StartNew();
        using var session = model.CreateScoringSession(batch, seqLen);
        var nll = new double[batch];
        double total = 0;
        for (int first = 0; first < rows; first += batch)
        {
            int count = Math.Min(batch, rows - first);
            session.RowNegLogLikelihoods(tokens.AsSpan(first * seqLen, count * seqLen), count, seqLen, nll);
            for (int i = 0; i < count; i++)
                total += nll[i];
            progress?.Report((first + count, rows));
        }
        long predicted = (long)rows * (seqLen - 1);
        return new PerplexityResult(Math.Exp(total / predicted), rows, predicted, seqLen, clock.Elapsed.TotalSeconds, session.Backend);
    }
}
