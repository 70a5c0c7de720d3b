namespace SliceGpt.Runtime.Inference;

/// <summary>
/// The shape of a session: its KV-cache slots and their length, and how the cache is paged. By default each slot owns
/// one block of <see cref="MaxSeqLen"/> positions (a contiguous cache, as llama2.c's); a server that holds many
/// sequences of unequal length sets a smaller <see cref="KvBlockSize"/> and a pool of <see cref="KvBlocks"/> blocks sized
/// to its memory budget, and slots take blocks as they grow and return them when released.
/// </summary>
/// <param name="MaxBatch">KV-cache slots (sequences held at once) and the most chunks one pass may have.</param>
/// <param name="MaxSeqLen">Positions per slot.</param>
public sealed record SessionOptions(int MaxBatch, int MaxSeqLen)
{
    /// <summary>Positions per KV-cache block; null: <see cref="MaxSeqLen"/>.</summary>
    public int? KvBlockSize { get; init; }

    /// <summary>Blocks in the pool; null: enough for every slot at <see cref="MaxSeqLen"/>.</summary>
    public int? KvBlocks { get; init; }

    /// <summary>Tokens one pass may hold; null: MaxBatch × MaxSeqLen. Activation buffers are sized by it.</summary>
    public int? MaxTokensPerPass { get; init; }

    /// <summary>
    /// Time every operation of every pass (CUDA events on a GPU, timestamps on the CPU) for <see cref="IInferenceSession.TakeProfile"/>.
    /// Costs a little per operation; off by default.
    /// </summary>
    public bool Profile { get; init; }

    /// <summary>The block size in effect.</summary>
    public int BlockSize => KvBlockSize ?? MaxSeqLen;

    /// <summary>The pool size in effect.</summary>
    public int Blocks => KvBlocks ?? checked(MaxBatch * ((MaxSeqLen + BlockSize - 1) / BlockSize));

    /// <summary>The per-pass token limit in effect.</summary>
    public int TokensPerPass => MaxTokensPerPass ?? checked(MaxBatch * MaxSeqLen);

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A field out of range, named.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatch, 1, nameof(MaxBatch));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSeqLen, 1, nameof(MaxSeqLen));
        if (KvBlockSize is int size && (size < 1 || size > MaxSeqLen))
            throw new ArgumentOutOfRangeException(nameof(KvBlockSize), size, $"a block holds 1..{MaxSeqLen} positions");
        if (KvBlocks is int blocks && blocks < 1)
            throw new ArgumentOutOfRangeException(nameof(KvBlocks), blocks, "the pool needs at least one block");
        if (MaxTokensPerPass is int tokens && tokens < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxTokensPerPass), tokens, "a pass holds at least one token");
    }
}
