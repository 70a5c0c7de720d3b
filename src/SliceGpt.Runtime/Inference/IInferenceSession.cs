namespace SliceGpt.Runtime.Inference;

/// <summary>
/// One inference stream over a shared, immutable model. A session owns its KV cache and scratch
/// buffers, allocated once at creation; it is not thread-safe (use one per thread or request).
/// </summary>
public interface IInferenceSession : IDisposable
{
    /// <summary>Which backend computes, e.g. "cpu (OpenBLAS, float32)".</summary>
    string Backend { get; }

    /// <summary>Longest sequence this session can hold.</summary>
    int MaxSeqLen { get; }

    /// <summary>Rows a batched forward may hold.</summary>
    int MaxBatch { get; }

    /// <summary>Number of tokens in the KV cache of the batch-1 stream.</summary>
    int Position { get; }

    /// <summary>Empties the KV cache.</summary>
    void Reset();

    /// <summary>
    /// Appends <paramref name="tokens"/> to the batch-1 stream and returns the logits after the last one.
    /// The span is valid until the next call on this session.
    /// </summary>
    ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens);

    /// <summary>Appends one token and returns the next-token logits (valid until the next call).</summary>
    ReadOnlySpan<float> Step(int token);

    /// <summary>
    /// Runs <paramref name="batch"/> independent rows of <paramref name="seqLen"/> tokens from position 0 and
    /// returns, per row, the summed negative log-likelihood of its seqLen − 1 next-token predictions.
    /// Resets the KV cache.
    /// </summary>
    void RowNegLogLikelihoods(ReadOnlySpan<int> rows, int batch, int seqLen, Span<double> nllPerRow);
}
