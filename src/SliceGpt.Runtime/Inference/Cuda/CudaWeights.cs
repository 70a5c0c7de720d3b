using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cuda;

// Device views of a model's weights in storage type T, mirroring Linear, Norm, Matrix and TransformerLayer.
// They own nothing: the arena of a CudaModelWeights or CudaLayerUpload does, and the views are valid while it
// is alive. A null view (default) stands for a missing bias, norm weight or shortcut.

/// <summary>y = x·Wᵀ + b with W [OutFeatures, InFeatures] row-major on the device; Bias may be null.</summary>
internal readonly record struct CudaLinear<T>(DeviceMemory<T> Weight, DeviceMemory<T> Bias, int InFeatures, int OutFeatures)
    where T : unmanaged;

/// <summary>A norm on the device: weight and bias may be null; eps as the kernels take it; MeanDim the RMSNorm divisor.</summary>
internal readonly record struct CudaNorm<T>(NormKind Kind, DeviceMemory<T> Weight, DeviceMemory<T> Bias, float Eps, int MeanDim)
    where T : unmanaged;

/// <summary>A row-major [Rows, Cols] matrix on the device (a shortcut; Data null means identity).</summary>
internal readonly record struct CudaMatrix<T>(DeviceMemory<T> Data, int Rows, int Cols) where T : unmanaged
{
    /// <summary>True for an identity shortcut (no matrix stored).</summary>
    public bool IsIdentity => Data.IsNull;
}

/// <summary>One transformer block on the device, in the uniform form of <see cref="TransformerLayer{T}"/>.</summary>
internal sealed record CudaLayer<T>(
    CudaNorm<T> AttentionNorm,
    CudaLinear<T> Qkv,
    CudaLinear<T> AttentionOut,
    CudaNorm<T>? MlpNorm,
    CudaLinear<T> Up,
    CudaLinear<T> Down,
    CudaMatrix<T> AttentionShortcut,
    CudaMatrix<T> MlpShortcut) : IBlockShape where T : unmanaged
{
    /// <summary>Residual width the block reads.</summary>
    public int DIn => Qkv.InFeatures;

    /// <summary>Residual width between attention and MLP (sequential); DOut for parallel blocks.</summary>
    public int DMid => AttentionOut.OutFeatures;

    /// <summary>Residual width the block writes.</summary>
    public int DOut => Down.OutFeatures;

    /// <summary>Whether the attention residual goes through a shortcut matrix.</summary>
    public bool HasAttentionShortcut => !AttentionShortcut.IsIdentity;

    /// <summary>Whether the MLP residual goes through a shortcut matrix.</summary>
    public bool HasMlpShortcut => !MlpShortcut.IsIdentity;

    /// <summary>The widest residual the block touches.</summary>
    public int MaxWidth => Math.Max(DIn, Math.Max(DMid, DOut));
}
