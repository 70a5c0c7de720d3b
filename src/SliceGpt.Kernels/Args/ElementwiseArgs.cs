using System.Runtime.InteropServices;

namespace SliceGpt.Kernels.Args;

// C# twins of the argument structs in activation.cu, elementwise.cu and convert.cu.

/// <summary>Arguments of silu_mul_* (activation.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SiluMulArgs
{
    /// <summary>T[rows, 2·hidden] gate|up.</summary>
    public ulong GateUp;
    /// <summary>T[rows, hidden].</summary>
    public ulong Output;
    /// <summary>Rows.</summary>
    public int Rows;
    /// <summary>MLP hidden width.</summary>
    public int Hidden;
}

/// <summary>Arguments of gelu_new_* and relu_* (activation.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ActivationArgs
{
    /// <summary>T[count], in place.</summary>
    public ulong X;
    /// <summary>Elements.</summary>
    public long Count;
}

/// <summary>Arguments of bias_add_* (elementwise.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct BiasAddArgs
{
    /// <summary>T[rows, width], in place.</summary>
    public ulong Y;
    /// <summary>T[width].</summary>
    public ulong Bias;
    /// <summary>Rows.</summary>
    public int Rows;
    /// <summary>Row width.</summary>
    public int Width;
}

/// <summary>Arguments of residual_add_* (elementwise.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ResidualAddArgs
{
    /// <summary>T[count], in place.</summary>
    public ulong Y;
    /// <summary>T[count].</summary>
    public ulong X;
    /// <summary>Elements.</summary>
    public long Count;
}

/// <summary>Arguments of convert_* (convert.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ConvertArgs
{
    /// <summary>Source elements.</summary>
    public ulong Source;
    /// <summary>Destination elements.</summary>
    public ulong Destination;
    /// <summary>Elements.</summary>
    public long Count;
}
