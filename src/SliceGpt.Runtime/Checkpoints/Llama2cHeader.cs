namespace SliceGpt.Runtime.Checkpoints;

/// <summary>
/// The 28-byte header of a legacy (version 0) llama2.c checkpoint: seven little-endian int32s.
/// A negative vocab_size means the file carries its own classifier after the RoPE tables.
/// </summary>
/// <param name="Dim">Residual width.</param>
/// <param name="HiddenDim">MLP width.</param>
/// <param name="NLayers">Number of blocks.</param>
/// <param name="NHeads">Query heads.</param>
/// <param name="NKvHeads">Key/value heads.</param>
/// <param name="VocabSize">Vocabulary size (absolute value of the stored field).</param>
/// <param name="SeqLen">Longest sequence.</param>
/// <param name="SharedClassifier">Whether the classifier is the token embedding.</param>
public sealed record Llama2cHeader(int Dim, int HiddenDim, int NLayers, int NHeads, int NKvHeads, int VocabSize, int SeqLen,
    bool SharedClassifier)
{
    /// <summary>Bytes of the header.</summary>
    public const int Size = 28;

    /// <summary>Width of one head.</summary>
    public int HeadDim => Dim / NHeads;

    /// <summary>Width of all key (or value) heads.</summary>
    public int KvDim => NKvHeads * HeadDim;
}
