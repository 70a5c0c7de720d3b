using System.Numerics;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// Where a slicing run keeps and processes its calibration activations (the CPU, or a GPU). It holds two sets of
/// activations: the <em>inputs</em>, the rotated and sliced residual entering the current stage, and the
/// <em>signals</em>, a block's D-wide output in the original basis, whose principal components are taken next.
/// The pipeline (<see cref="SliceGptPipeline"/>) drives it; the results are the same wherever it runs.
/// </summary>
internal interface ICalibrationEngine<T> : IDisposable where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>The float64 products of the rotation arithmetic, on this engine's hardware.</summary>
    IRotationMath Math { get; }

    /// <summary>Signals ← the embeddings (plus learned positions) of every calibration token.</summary>
    void Embed();

    /// <summary>Signals ← x·S + Attn(N(x)) for the inputs x, through a sequential block's attention half.</summary>
    void AttentionProbe(TransformerLayer<T> probe);

    /// <summary>Signals ← h·S + MLP(N(h)) for the inputs h, through a sequential block's MLP half.</summary>
    void MlpProbe(TransformerLayer<T> probe);

    /// <summary>Signals ← x·S + Attn(N(x)) + MLP(N(x)) for the inputs x, through a parallel block.</summary>
    void ParallelProbe(TransformerLayer<T> probe);

    /// <summary>The principal basis of the current signals: float64 covariance, damping, eigendecomposition.</summary>
    /// <exception cref="SlicingException">The covariance is not finite.</exception>
    PrincipalBasis Basis(string signal);

    /// <summary>Inputs ← signals·Q[:, :width]: the residual the next stage reads.</summary>
    void Project(PrincipalBasis basis, int width);
}

/// <summary>C = op(A)·op(B) in float64 on row-major arrays, on some device: the rotation arithmetic.</summary>
internal interface IRotationMath
{
    /// <summary>Returns the m×n product of op(A) (m×k) and op(B) (k×n); A and B are row-major with the given leading dimensions.</summary>
    double[] Multiply(bool transA, bool transB, int m, int n, int k, double[] a, int lda, double[] b, int ldb);
}
