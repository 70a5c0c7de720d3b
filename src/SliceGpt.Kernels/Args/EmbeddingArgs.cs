using System.Runtime.InteropServices;

namespace SliceGpt.Kernels.Args;

// C# twins of the argument structs in embedding.cu: same fields, same order, device addresses as ulong.
// The ABI tests compare these layouts with the offsets the .cu pins.

/// <summary>Arguments of embedding_* (embedding.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct EmbeddingArgs
{
    /// <summary>int[rows] token ids.</summary>
    public ulong Tokens;
    /// <summary>T[vocabSize, dim].</summary>
    public ulong Table;
    /// <summary>int[rows] positions, read only with <see cref="PositionTable"/>.</summary>
    public ulong Positions;
    /// <summary>T[maxPositions, dim] learned positions, or 0.</summary>
    public ulong PositionTable;
    /// <summary>T[rows, dim].</summary>
    public ulong Output;
    /// <summary>Token rows.</summary>
    public int Rows;
    /// <summary>Embedding width.</summary>
    public int Dim;
    /// <summary>Rows of the token table.</summary>
    public int VocabSize;
    /// <summary>Added to each position before the lookup (2 for OPT).</summary>
    public int PositionOffset;
    /// <summary>Rows of the position table.</summary>
    public int MaxPositions;
}
