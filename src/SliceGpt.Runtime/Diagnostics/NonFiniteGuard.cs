using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Diagnostics;

/// <summary>
/// Wraps a prepared model so that its sessions check every logit vector and loss they return: a NaN or infinity stops the
/// run with a <see cref="NonFiniteValueException"/> naming the layer where non-finite values first appear (found by
/// <see cref="NonFiniteLocator"/> on the CPU reference), instead of a perplexity of NaN or text sampled from garbage.
/// </summary>
public static class NonFiniteGuard
{
    /// <summary>
    /// <paramref name="executable"/> with checked sessions; <paramref name="reference"/> is the same model in host memory,
    /// used only to locate the layer after a failure.
    /// </summary>
    public static IExecutableModel Checked(IExecutableModel executable, TransformerModel<float> reference) =>
        new CheckedModel(executable, reference);

    /// <summary>The exception for non-finite <paramref name="what"/> after <paramref name="tokens"/> (from position 0).</summary>
    public static NonFiniteValueException Failure(string what, string backend, TransformerModel<float> reference, ReadOnlySpan<int> tokens)
    {
        var origin = NonFiniteLocator.Locate(reference, tokens);
        if (origin is null)
        {
            return new NonFiniteValueException(
                $"non-finite {what} on {backend}; re-run layer by layer on the CPU in float32 every layer is finite, so the overflow comes from {backend}'s arithmetic (try --precision fp32)",
                what);
        }
        return new NonFiniteValueException(
            $"non-finite {what} on {backend}: they first appear in {origin.Where} at position {origin.Position} ({NonFiniteValueException.Text(origin.Value)}), found by re-running the sequence ({tokens.Length} {(tokens.Length == 1 ? "token" : "tokens")}) layer by layer on the CPU; the activations overflow float32 there",
            origin.Where, layer: origin.Layer);
    }

    private sealed class CheckedModel(IExecutableModel inner, TransformerModel<float> reference) : IExecutableModel
    {
        public ModelConfig Config => inner.Config;

        public string Backend => inner.Backend;

        public IInferenceSession CreateSession(int maxBatch, int maxSeqLen) =>
            new CheckedSession(inner.CreateSession(maxBatch, maxSeqLen), reference);

        public void Dispose() => inner.Dispose();
    }

    private sealed class CheckedSession(IInferenceSession inner, TransformerModel<float> reference) : IInferenceSession
    {
        private readonly int[] _history = new int[inner.MaxSeqLen]; // (maxSeqLen) tokens of the batch-1 stream since Reset

        public string Backend => inner.Backend;

        public int MaxSeqLen => inner.MaxSeqLen;

        public int MaxBatch => inner.MaxBatch;

        public int Position => inner.Position;

        public void Reset() => inner.Reset();

        public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
        {
            int start = inner.Position;
            var logits = inner.Prefill(tokens);
            tokens.CopyTo(_history.AsSpan(start));
            return Check(logits);
        }

        public ReadOnlySpan<float> Step(int token)
        {
            int start = inner.Position;
            var logits = inner.Step(token);
            _history[start] = token;
            return Check(logits);
        }

        public void RowNegLogLikelihoods(ReadOnlySpan<int> rows, int batch, int seqLen, Span<double> nllPerRow)
        {
            inner.RowNegLogLikelihoods(rows, batch, seqLen, nllPerRow);
            for (int b = 0; b < batch; b++)
            {
                if (!double.IsFinite(nllPerRow[b]))
                    throw Failure($"loss (negative log-likelihood {NonFiniteValueException.Text(nllPerRow[b])})", Backend, reference, rows.Slice(b * seqLen, seqLen));
            }
        }

        private ReadOnlySpan<float> Check(ReadOnlySpan<float> logits)
        {
            if (!NonFiniteScan.AllFinite(logits))
                throw Failure("logits", Backend, reference, _history.AsSpan(0, inner.Position));
            return logits;
        }

        public void Dispose() => inner.Dispose();
    }
}
