using System.Numerics;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// Calibration on the CPU: a <see cref="CpuSession{T}"/> runs the probes batch by batch over two host buffers of
/// (calibration tokens × D); covariances accumulate with OpenBLAS dsyrk and are eigendecomposed with LAPACK dsyevd.
/// </summary>
internal sealed class CpuCalibrationEngine<T> : ICalibrationEngine<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly CalibrationSet _calibration;
    private readonly CpuSession<T> _session;
    private readonly int _dim, _batch;
    private readonly T[] _inputs;   // (tokens, current width)
    private readonly T[] _signals;  // (tokens, D)

    /// <summary>Creates the engine for the fused (dense, full-width) <paramref name="fused"/> model.</summary>
    public CpuCalibrationEngine(TransformerModel<T> fused, CalibrationSet calibration, int batchRows)
    {
        _calibration = calibration;
        _dim = fused.Config.Dim;
        _batch = System.Math.Min(batchRows, calibration.Rows);
        _session = new CpuSession<T>(fused, _batch, calibration.SeqLen, cachedLayers: 1);
        long tokens = (long)calibration.Rows * calibration.SeqLen;
        _inputs = new T[tokens * _dim];
        _signals = new T[tokens * _dim];
    }

    public IRotationMath Math => CpuRotationMath.Instance;

    public void Embed() => ForEachBatch((rows, first, count) =>
        _session.EmbedRows(_calibration.RowSpan(first, count), count, _calibration.SeqLen, Span(_signals, first, _dim, count)));

    public void AttentionProbe(TransformerLayer<T> probe) => ForEachBatch((rows, first, count) =>
        _session.AttentionResidual(probe, Span(_inputs, first, probe.DIn, count), Span(_signals, first, _dim, count), count, _calibration.SeqLen));

    public void MlpProbe(TransformerLayer<T> probe) => ForEachBatch((rows, first, count) =>
        _session.MlpResidual(probe, Span(_inputs, first, probe.DMid, count), Span(_signals, first, _dim, count), rows));

    public void ParallelProbe(TransformerLayer<T> probe) => ForEachBatch((rows, first, count) =>
        _session.ParallelBlock(probe, Span(_inputs, first, probe.DIn, count), Span(_signals, first, _dim, count), count, _calibration.SeqLen));

    public PrincipalBasis Basis(string signal)
    {
        var covariance = new CovarianceAccumulator(_dim);
        ForEachBatch((rows, first, count) => covariance.Add<T>(Span(_signals, first, _dim, count), rows));
        return PrincipalBasis.FromCovariance(covariance.Covariance(signal), _dim);
    }

    public void Project(PrincipalBasis basis, int width)
    {
        var leading = new T[_dim * width];
        for (int r = 0; r < _dim; r++)
            for (int k = 0; k < width; k++)
                leading[r * width + k] = T.CreateTruncating(basis.Q[r * _dim + k]);
        ForEachBatch((rows, first, count) => PartitionedGemm.Gemm(false, rows, width, _dim, T.One, Span(_signals, first, _dim, count), _dim,
            leading, width, T.Zero, Span(_inputs, first, width, count), width));
    }

    private delegate void BatchAction(int rows, int firstRow, int rowCount);

    // Runs over the calibration set batch by batch; rows = tokens in the batch.
    private void ForEachBatch(BatchAction action)
    {
        for (int first = 0; first < _calibration.Rows; first += _batch)
        {
            int count = System.Math.Min(_batch, _calibration.Rows - first);
            action(count * _calibration.SeqLen, first, count);
        }
    }

    private Span<T> Span(T[] buffer, int firstRow, int width, int rowCount) =>
        buffer.AsSpan(firstRow * _calibration.SeqLen * width, rowCount * _calibration.SeqLen * width);

    public void Dispose() => _session.Dispose();
}
