namespace SliceGpt.Runtime.Inference;

/// <summary>
/// Inference over a shared, immutable model. A session owns a KV cache of <see cref="MaxBatch"/> slots of
/// <see cref="MaxSeqLen"/> positions and its scratch buffers, all allocated once at creation; it is not thread-safe
/// (use one per thread or request). Two ways to use it: a single stream in slot 0 (<see cref="Prefill"/>,
/// <see cref="Step"/>, <see cref="Position"/>), or batched passes that name their slots and positions explicitly
/// (<see cref="Forward"/>, <see cref="ScoreTargets"/>, <see cref="CopySlot"/>, <see cref="ReleaseSlot"/>); a batched
/// pass resets <see cref="Position"/> to 0. The KV cache may be paged (<see cref="SessionOptions"/>): slots take blocks
/// from a shared pool as they grow and give them back when released. Every call after <see cref="IDisposable.Dispose"/> throws <see cref="ObjectDisposedException"/>.
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
    /// One batched pass over a ragged batch: chunk i appends its <see cref="SequenceChunk.Count"/> tokens, taken in order
    /// from <paramref name="tokens"/>, to its slot at its positions, and <paramref name="logits"/> receives the fp32
    /// next-token logits after each chunk's last token, [chunks, vocab]. Decoding many sequences is one such pass with a
    /// chunk of one token per sequence; a prompt is a longer chunk. Each row's result is the one it would get alone.
    /// </summary>
    void Forward(ReadOnlySpan<SequenceChunk> chunks, ReadOnlySpan<int> tokens, Span<float> logits);

    /// <summary>
    /// The same pass as <see cref="Forward"/>, scoring instead of returning logits: logProbs[r] = log p(targets[r]) under
    /// the next-token distribution after row r (the natural log, accumulated in double); rows whose target is negative
    /// are not scored and get 0. When <paramref name="greedy"/> is not empty it receives each row's most probable next
    /// token (the lowest id on ties), for exact-match scoring. Only these numbers leave the device.
    /// </summary>
    void ScoreTargets(ReadOnlySpan<SequenceChunk> chunks, ReadOnlySpan<int> tokens, ReadOnlySpan<int> targets, Span<double> logProbs,
        Span<int> greedy = default);

    /// <summary>
    /// Copies the first <paramref name="length"/> cached positions of slot <paramref name="source"/> to slot
    /// <paramref name="target"/> in every layer: a shared prefix (a prompt, a multiple-choice context) is run once and
    /// continued in several slots.
    /// </summary>
    void CopySlot(int source, int target, int length);

    /// <summary>Empties <paramref name="slot"/> and returns its KV-cache blocks to the pool (a finished or cancelled sequence).</summary>
    void ReleaseSlot(int slot);

    /// <summary>Positions of <paramref name="slot"/> holding valid keys and values (the end of the last chunk run in it).</summary>
    int SlotLength(int slot);

    /// <summary>Positions per KV-cache block (<see cref="MaxSeqLen"/> unless the session pages its cache).</summary>
    int KvBlockSize { get; }

    /// <summary>Blocks in the KV-cache pool.</summary>
    int KvBlockCount { get; }

    /// <summary>
    /// Where the time went since the last call (per operation, and the calls' wall time), then starts afresh; null unless
    /// the session was created with <see cref="SessionOptions.Profile"/>.
    /// </summary>
    ForwardProfile? TakeProfile();

    /// <summary>Blocks no slot holds; a pass that needs more throws <see cref="KvCacheExhaustedException"/> before any work.</summary>
    int FreeKvBlocks { get; }

    /// <summary>
    /// Runs <paramref name="batch"/> independent rows of <paramref name="seqLen"/> tokens from position 0 and
    /// returns, per row, the summed negative log-likelihood of its seqLen − 1 next-token predictions.
    /// Resets the KV cache.
    /// </summary>
    void RowNegLogLikelihoods(ReadOnlySpan<int> rows, int batch, int seqLen, Span<double> nllPerRow);
}
