namespace SliceGpt.Runtime.Inference;

/// <summary>
/// One sequence's share of a batched forward pass: <paramref name="Count"/> new tokens for the KV-cache slot
/// <paramref name="Slot"/>, at positions <paramref name="Start"/> … Start + Count − 1. The tokens attend to the slot's
/// cached positions 0 … Start − 1 and to each other causally; whatever the slot held at Start and beyond is
/// overwritten, so a caller rewinds a sequence simply by starting a chunk at an earlier position.
/// </summary>
/// <param name="Slot">The KV-cache slot, in [0, <see cref="IInferenceSession.MaxBatch"/>).</param>
/// <param name="Start">The position of the chunk's first token (the number of tokens already cached for it).</param>
/// <param name="Count">The number of new tokens, at least 1.</param>
public readonly record struct SequenceChunk(int Slot, int Start, int Count)
{
    /// <summary>The position after the chunk's last token: the sequence's length once it has run.</summary>
    public int End => Start + Count;
}
