using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Numerics;

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

        public bool PagesKvCache => inner.PagesKvCache;

        public IInferenceSession CreateSession(int maxBatch, int maxSeqLen) =>
            new CheckedSession(inner.CreateSession(maxBatch, maxSeqLen), reference);

        public IInferenceSession CreateSession(SessionOptions options) => new CheckedSession(inner.CreateSession(options), reference);

        public IInferenceSession CreateScoringSession(int maxBatch, int maxSeqLen) =>
            new CheckedSession(inner.CreateScoringSession(maxBatch, maxSeqLen), reference);

        public void Dispose() => inner.Dispose();
    }

    // Delegates everything; remembers the tokens of the batch-1 stream and of every slot, so that a failure can be re-run.
    private sealed class CheckedSession(IInferenceSession inner, TransformerModel<float> reference) : IInferenceSession
    {
        private readonly int[] _stream = new int[inner.MaxSeqLen];          // (maxSeqLen) the batch-1 stream since Reset
        private readonly int[]?[] _slots = new int[inner.MaxBatch][];        // (maxBatch) × (maxSeqLen) allocated on first use

        public string Backend => inner.Backend;

        public int MaxSeqLen => inner.MaxSeqLen;

        public int MaxBatch => inner.MaxBatch;

        public int Position => inner.Position;

        public int KvBlockSize => inner.KvBlockSize;

        public int KvBlockCount => inner.KvBlockCount;

        public int FreeKvBlocks => inner.FreeKvBlocks;

        public void Reset() => inner.Reset();

        public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
        {
            int start = inner.Position;
            var logits = inner.Prefill(tokens);
            tokens.CopyTo(_stream.AsSpan(start));
            return Check(logits, _stream.AsSpan(0, inner.Position));
        }

        public ReadOnlySpan<float> Step(int token)
        {
            int start = inner.Position;
            var logits = inner.Step(token);
            _stream[start] = token;
            return Check(logits, _stream.AsSpan(0, inner.Position));
        }

        public void Forward(ReadOnlySpan<SequenceChunk> chunks, ReadOnlySpan<int> tokens, Span<float> logits)
        {
            inner.Forward(chunks, tokens, logits);
            Record(chunks, tokens);
            int vocab = chunks.Length == 0 ? 0 : logits.Length / chunks.Length;
            for (int i = 0; i < chunks.Length; i++)
                Check(logits.Slice(i * vocab, vocab), Slot(chunks[i].Slot).AsSpan(0, chunks[i].End));
        }

        public void ScoreTargets(ReadOnlySpan<SequenceChunk> chunks, ReadOnlySpan<int> tokens, ReadOnlySpan<int> targets,
            Span<double> logProbs, Span<int> greedy = default)
        {
            inner.ScoreTargets(chunks, tokens, targets, logProbs, greedy);
            Record(chunks, tokens);
            int row = 0;
            foreach (var chunk in chunks)
            {
                for (int t = 0; t < chunk.Count; t++, row++)
                {
                    if (!double.IsFinite(logProbs[row]))
                        throw Failure($"log-probability ({NonFiniteValueException.Text(logProbs[row])})", Backend, reference,
                            Slot(chunk.Slot).AsSpan(0, chunk.Start + t + 1));
                }
            }
        }

        public void CopySlot(int source, int target, int length)
        {
            inner.CopySlot(source, target, length);
            Slot(source).AsSpan(0, length).CopyTo(Slot(target));
        }

        public void ReleaseSlot(int slot) => inner.ReleaseSlot(slot);

        public int SlotLength(int slot) => inner.SlotLength(slot);

        public ForwardProfile? TakeProfile() => inner.TakeProfile();

        public void RowNegLogLikelihoods(ReadOnlySpan<int> rows, int batch, int seqLen, Span<double> nllPerRow)
        {
            inner.RowNegLogLikelihoods(rows, batch, seqLen, nllPerRow);
            for (int b = 0; b < batch; b++)
            {
                if (!double.IsFinite(nllPerRow[b]))
                    throw Failure($"loss (negative log-likelihood {NonFiniteValueException.Text(nllPerRow[b])})", Backend, reference, rows.Slice(b * seqLen, seqLen));
            }
        }

        public void Dispose() => inner.Dispose();

        private int[] Slot(int slot) => _slots[slot] ??= new int[inner.MaxSeqLen];

        private void Record(ReadOnlySpan<SequenceChunk> chunks, ReadOnlySpan<int> tokens)
        {
            int offset = 0;
            foreach (var chunk in chunks)
            {
                tokens.Slice(offset, chunk.Count).CopyTo(Slot(chunk.Slot).AsSpan(chunk.Start));
                offset += chunk.Count;
            }
        }

        private ReadOnlySpan<float> Check(ReadOnlySpan<float> logits, ReadOnlySpan<int> sequence)
        {
            if (!NonFiniteScan.AllFinite(logits))
                throw Failure("logits", Backend, reference, sequence);
            return logits;
        }
    }
}
