using System.Runtime.InteropServices;

namespace SliceGpt.Kernels.Args;

// C# twins of the argument structs in loss.cu.

/// <summary>Arguments of nll_* (loss.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct NllArgs
{
    /// <summary>T[rows, vocabSize].</summary>
    public ulong Logits;
    /// <summary>int[rows] target ids.</summary>
    public ulong Targets;
    /// <summary>double[rows] −log p(target).</summary>
    public ulong Nll;
    /// <summary>Rows.</summary>
    public int Rows;
    /// <summary>Logits per row.</summary>
    public int VocabSize;
}

/// <summary>Arguments of argmax_* (loss.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ArgmaxArgs
{
    /// <summary>T[rows, vocabSize].</summary>
    public ulong Logits;
    /// <summary>int[rows] index of each row's largest logit.</summary>
    public ulong Result;
    /// <summary>Rows.</summary>
    public int Rows;
    /// <summary>Logits per row.</summary>
    public int VocabSize;
}
