using System.Runtime.InteropServices;

namespace SliceGpt.Kernels.Args;

// C# twins of the argument structs in rope.cu and kvcache.cu.

/// <summary>Arguments of rope_* (rope.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct RopeArgs
{
    /// <summary>T[rows, stride] fused q|k|v, rotated in place.</summary>
    public ulong Qkv;
    /// <summary>int[rows] positions.</summary>
    public ulong Positions;
    /// <summary>float[maxPositions, rotaryDim / 2].</summary>
    public ulong CosTable;
    /// <summary>float[maxPositions, rotaryDim / 2].</summary>
    public ulong SinTable;
    /// <summary>Rows.</summary>
    public int Rows;
    /// <summary>Row stride of qkv: qDim + 2·kvDim.</summary>
    public int Stride;
    /// <summary>Query heads.</summary>
    public int NHeads;
    /// <summary>Key/value heads.</summary>
    public int NKvHeads;
    /// <summary>Head width.</summary>
    public int HeadDim;
    /// <summary>Rotated leading dims of each head (even).</summary>
    public int RotaryDim;
    /// <summary>1: pairs (2i, 2i+1); 0: pairs (i, i + rotaryDim/2).</summary>
    public int Interleaved;
    /// <summary>Rows of the cos/sin tables.</summary>
    public int MaxPositions;
}

/// <summary>Arguments of kv_append_* (kvcache.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvAppendArgs
{
    /// <summary>T[rows, stride] fused q|k|v.</summary>
    public ulong Qkv;
    /// <summary>int[rows] positions.</summary>
    public ulong Positions;
    /// <summary>T[batch, maxSeq, kvDim].</summary>
    public ulong KeyCache;
    /// <summary>T[batch, maxSeq, kvDim].</summary>
    public ulong ValueCache;
    /// <summary>Rows.</summary>
    public int Rows;
    /// <summary>Row stride of qkv.</summary>
    public int Stride;
    /// <summary>Width of the query part.</summary>
    public int QDim;
    /// <summary>Width of the key part (and of the value part).</summary>
    public int KvDim;
    /// <summary>Rows per sequence.</summary>
    public int SeqLen;
    /// <summary>Cache rows per sequence.</summary>
    public int MaxSeq;
}
