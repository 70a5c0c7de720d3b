using System.Runtime.InteropServices;

namespace SliceGpt.Kernels.Args;

// C# twins of the argument structs in attention.cu.

/// <summary>Arguments of attention_* (attention.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct AttentionArgs
{
    /// <summary>T[rows, stride] fused q|k|v (queries read).</summary>
    public ulong Qkv;
    /// <summary>T[batch, maxSeq, kvDim].</summary>
    public ulong KeyCache;
    /// <summary>T[batch, maxSeq, kvDim].</summary>
    public ulong ValueCache;
    /// <summary>int[rows] positions.</summary>
    public ulong Positions;
    /// <summary>T[rows, nHeads·headDim], written with one split.</summary>
    public ulong Output;
    /// <summary>float[rows, nHeads, numSplits, headDim + 2], written with several splits.</summary>
    public ulong Partials;
    /// <summary>Rows.</summary>
    public int Rows;
    /// <summary>Rows per sequence.</summary>
    public int SeqLen;
    /// <summary>Row stride of qkv.</summary>
    public int Stride;
    /// <summary>Query heads.</summary>
    public int NHeads;
    /// <summary>Key/value heads.</summary>
    public int NKvHeads;
    /// <summary>Head width (at most 256).</summary>
    public int HeadDim;
    /// <summary>Cache rows per sequence.</summary>
    public int MaxSeq;
    /// <summary>Splits of the key range.</summary>
    public int NumSplits;
    /// <summary>Keys per split.</summary>
    public int SplitSize;
    /// <summary>Score scale, 1/sqrt(headDim).</summary>
    public float Scale;
}

/// <summary>Arguments of attention_combine_* (attention.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct AttentionCombineArgs
{
    /// <summary>float[rows, nHeads, numSplits, headDim + 2].</summary>
    public ulong Partials;
    /// <summary>T[rows, nHeads·headDim].</summary>
    public ulong Output;
    /// <summary>Rows.</summary>
    public int Rows;
    /// <summary>Query heads.</summary>
    public int NHeads;
    /// <summary>Head width.</summary>
    public int HeadDim;
    /// <summary>Splits to merge.</summary>
    public int NumSplits;
}
