using System.Runtime.InteropServices;

namespace SliceGpt.Kernels.Args;

// C# twins of the argument structs in norm.cu.

/// <summary>Arguments of rmsnorm_* (norm.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct RmsNormArgs
{
    /// <summary>T[rows, width] input.</summary>
    public ulong X;
    /// <summary>T[rows, width] output (may equal X).</summary>
    public ulong Y;
    /// <summary>T[width] scale, or 0.</summary>
    public ulong Weight;
    /// <summary>Rows.</summary>
    public int Rows;
    /// <summary>Row width.</summary>
    public int Width;
    /// <summary>Divisor of the sum of squares (the original hidden size of a sliced model).</summary>
    public int MeanDim;
    /// <summary>Epsilon.</summary>
    public float Eps;
}

/// <summary>Arguments of layernorm_* (norm.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct LayerNormArgs
{
    /// <summary>T[rows, width] input.</summary>
    public ulong X;
    /// <summary>T[rows, width] output (may equal X).</summary>
    public ulong Y;
    /// <summary>T[width] scale, or 0.</summary>
    public ulong Weight;
    /// <summary>T[width] shift, or 0.</summary>
    public ulong Bias;
    /// <summary>Rows.</summary>
    public int Rows;
    /// <summary>Row width.</summary>
    public int Width;
    /// <summary>Epsilon.</summary>
    public float Eps;
}
