using System.Numerics;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

/// <summary>
/// Converts q/k projection rows between RoPE layouts. Within each head, llama2.c rotates adjacent pairs
/// (2i, 2i+1) and Hugging Face rotates halves (i, i + headDim/2); permuting the output rows of q and k maps one to
/// the other exactly, as Hugging Face's Llama conversion script does. Only rows move, so a sliced model (whose
/// columns were rotated) converts the same way.
/// </summary>
internal static class RopeRows
{
    /// <summary>The fused [q; k; v] linear with its q and k rows in rotate-half order (v untouched).</summary>
    public static Linear<T> InterleavedToRotateHalf<T>(Linear<T> qkv, ModelConfig c) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int cols = qkv.InFeatures, headDim = c.HeadDim, half = headDim / 2;
        var weight = (T[])qkv.Weight.Data.Clone();
        var bias = (T[]?)qkv.Bias?.Clone();
        int heads = c.NHeads + c.NKvHeads; // q heads, then k heads, each headDim rows
        for (int h = 0; h < heads; h++)
        {
            int first = h * headDim;
            for (int i = 0; i < half; i++)
            {
                for (int part = 0; part < 2; part++)
                {
                    int from = first + 2 * i + part, to = first + part * half + i;
                    qkv.Weight.Data.AsSpan(from * cols, cols).CopyTo(weight.AsSpan(to * cols, cols));
                    if (bias is not null)
                        bias[to] = qkv.Bias![from];
                }
            }
        }
        return new Linear<T>(new Matrix<T>(qkv.OutFeatures, cols, weight), bias);
    }
}
