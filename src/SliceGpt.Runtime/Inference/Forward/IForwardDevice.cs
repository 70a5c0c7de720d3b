namespace SliceGpt.Runtime.Inference.Forward;

/// <summary>
/// A session's device: the forward operations plus what surrounds a pass (staging the tokens, reading results back,
/// KV-slot copies). <see cref="SessionRunner{TLayer}"/> drives it; CPU and GPU sessions each own one. Methods that
/// return results to the host complete before they return.
/// </summary>
internal interface IForwardDevice<in TLayer> : IForwardOps<TLayer>
{
    /// <summary>Makes <paramref name="tokens"/> (one per row, ids already checked) and the layout's positions the input of the next pass.</summary>
    void Stage(ReadOnlySpan<int> tokens, BatchLayout batch);

    /// <summary>fp32 logits after each chunk's last row, [chunks, vocab], from the final norm's output of the last pass.</summary>
    void LastLogits(BatchLayout batch, Span<float> logits);

    /// <summary>
    /// log softmax(logits of row r)[targets[r]] for every row of the last pass, accumulated in double; rows whose
    /// target is negative get 0. Targets are checked to lie below the vocabulary size. A non-empty
    /// <paramref name="greedy"/> receives each row's argmax (the lowest id on ties).
    /// </summary>
    void TargetLogProbs(BatchLayout batch, ReadOnlySpan<int> targets, Span<double> logProbs, Span<int> greedy);

    /// <summary>
    /// For a uniform pass of <paramref name="batch"/> rows of <paramref name="seqLen"/> tokens (the staged tokens), each
    /// row's summed −log p of its own tokens 1 … seqLen − 1.
    /// </summary>
    void RowNegLogLikelihoods(int batch, int seqLen, Span<double> nllPerRow);

    /// <summary>Copies KV-cache block <paramref name="source"/> to block <paramref name="target"/> in every layer (copy on write).</summary>
    void CopyBlock(int source, int target);
}
