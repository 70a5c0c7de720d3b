using System.Numerics;

namespace SliceGpt.Runtime.Models;

/// <summary>
/// One transformer block in the uniform form every family is loaded into. Projections that read the same
/// input are fused: <see cref="Qkv"/> is [q; k; v] and, for gated MLPs, <see cref="Up"/> is [gate; up].
/// A sliced block reads a residual of width <see cref="DIn"/> and writes one of width <see cref="DOut"/>;
/// the shortcut matrices carry the residual between the bases.
/// </summary>
public sealed record TransformerLayer<T> : IBlockShape where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>The norm before attention (parallel blocks: the only norm).</summary>
    public required Norm<T> AttentionNorm { get; init; }

    /// <summary>Fused q, k, v projection: [qDim + 2·kvDim, DIn].</summary>
    public required Linear<T> Qkv { get; init; }

    /// <summary>Attention output projection: [DMid (sequential) or DOut (parallel), qDim].</summary>
    public required Linear<T> AttentionOut { get; init; }

    /// <summary>The norm before the MLP; null for parallel blocks.</summary>
    public Norm<T>? MlpNorm { get; init; }

    /// <summary>MLP input projection: [upDim, DMid (sequential) or DIn (parallel)].</summary>
    public required Linear<T> Up { get; init; }

    /// <summary>MLP output projection: [DOut, hiddenDim].</summary>
    public required Linear<T> Down { get; init; }

    /// <summary>
    /// Sequential: the residual map from the layer input to the mid-block basis, [DIn, DMid].
    /// Parallel: the residual map from the input to the output basis, [DIn, DOut]. Null = identity.
    /// </summary>
    public Matrix<T>? AttentionShortcut { get; init; }

    /// <summary>Sequential only: the residual map from the mid-block to the output basis, [DMid, DOut]. Null = identity.</summary>
    public Matrix<T>? MlpShortcut { get; init; }

    /// <summary>Residual width this block reads.</summary>
    public int DIn => Qkv.InFeatures;

    /// <summary>Residual width between attention and MLP (sequential); equals <see cref="DOut"/> for parallel blocks.</summary>
    public int DMid => AttentionOut.OutFeatures;

    /// <summary>Residual width this block writes.</summary>
    public int DOut => Down.OutFeatures;

    /// <summary>Whether the attention residual goes through <see cref="AttentionShortcut"/> (false: the identity).</summary>
    public bool HasAttentionShortcut => AttentionShortcut is not null;

    /// <summary>Whether the MLP residual goes through <see cref="MlpShortcut"/> (false: the identity).</summary>
    public bool HasMlpShortcut => MlpShortcut is not null;

    /// <summary>Number of parameters, shortcut matrices included.</summary>
    public long ParameterCount =>
        AttentionNorm.ParameterCount + Qkv.ParameterCount + AttentionOut.ParameterCount + (MlpNorm?.ParameterCount ?? 0)
        + Up.ParameterCount + Down.ParameterCount
        + (AttentionShortcut is null ? 0 : (long)AttentionShortcut.Rows * AttentionShortcut.Cols)
        + (MlpShortcut is null ? 0 : (long)MlpShortcut.Rows * MlpShortcut.Cols);

    /// <summary>Converts to another element type.</summary>
    public TransformerLayer<TOut> Convert<TOut>() where TOut : unmanaged, IBinaryFloatingPointIeee754<TOut> => new()
    {
        AttentionNorm = AttentionNorm.Convert<TOut>(),
        Qkv = Qkv.Convert<TOut>(),
        AttentionOut = AttentionOut.Convert<TOut>(),
        MlpNorm = MlpNorm?.Convert<TOut>(),
        Up = Up.Convert<TOut>(),
        Down = Down.Convert<TOut>(),
        AttentionShortcut = AttentionShortcut?.Convert<TOut>(),
        MlpShortcut = MlpShortcut?.Convert<TOut>(),
    };
}
