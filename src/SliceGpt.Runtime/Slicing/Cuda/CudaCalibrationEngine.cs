using System.Runtime.CompilerServices;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Cuda;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing.Cuda;

/// <summary>
/// Calibration on a GPU. The calibration activations stay on the device in the storage type
/// <typeparamref name="TDevice"/> (float, Half or BFloat16): two buffers of (calibration tokens × D). Probe blocks
/// run through a block session of the model's shell (embedding and head only; one block is uploaded at a time), the
/// covariance accumulates in float64 with cuBLAS DSYRK over chunks of signals converted to float64, and cuSOLVER
/// DSYEVD eigendecomposes it. Everything is queued on the session's stream.
/// </summary>
internal sealed class CudaCalibrationEngine<TDevice> : ICalibrationEngine<float> where TDevice : unmanaged
{
    private const int CovarianceChunkTokens = 8192;

    private readonly CalibrationSet _calibration;
    private readonly CudaContext _context;
    private readonly SliceGpt.Kernels.CudaKernels _kernels;
    private readonly CudaStream _stream;
    private readonly CudaExecutableModel<TDevice> _shell;
    private readonly CudaSession<TDevice> _session;
    private readonly BlasHandle _blas;
    private readonly SolverHandle _solver;
    private readonly DeviceBuffer<TDevice> _inputs;        // (tokens, current width)
    private readonly DeviceBuffer<TDevice> _signals;       // (tokens, D)
    private readonly DeviceBuffer<float>? _chunkSingle;     // (chunk, D) a 16-bit chunk widened to float first
    private readonly DeviceBuffer<double> _chunkDouble;     // (chunk, D)
    private readonly DeviceBuffer<double> _covariance;      // (D, D)
    private readonly int _dim, _batch;
    private readonly long _tokens;

    /// <summary>Allocates everything now; throws <see cref="SlicingException"/> when the activations do not fit.</summary>
    public CudaCalibrationEngine(CudaBackend backend, TransformerModel<float> fusedShell, CalibrationSet calibration, int batchRows)
    {
        _calibration = calibration;
        _dim = fusedShell.Config.Dim;
        _batch = System.Math.Min(batchRows, calibration.Rows);
        _tokens = (long)calibration.Rows * calibration.SeqLen;
        _context = backend.Context;
        _kernels = ((CudaDevice)backend.Gpu).Kernels;
        CheckMemory(_context, _tokens, _dim);
        _shell = (CudaExecutableModel<TDevice>)backend.Prepare(fusedShell, CudaPrecisionExtensions.Of<TDevice>());
        try
        {
            _session = _shell.CreateBlockSession(_batch, calibration.SeqLen);
            _stream = _session.Stream ?? throw new InvalidOperationException("a CUDA session always has a stream");
            using var scope = _context.Bind();
            _blas = new BlasHandle(_context);
            _solver = new SolverHandle(_context);
            _inputs = _context.Allocate<TDevice>(_tokens * _dim);
            _signals = _context.Allocate<TDevice>(_tokens * _dim);
            _chunkSingle = typeof(TDevice) == typeof(float) ? null : _context.Allocate<float>((long)CovarianceChunkTokens * _dim);
            _chunkDouble = _context.Allocate<double>((long)CovarianceChunkTokens * _dim);
            _covariance = _context.Allocate<double>((long)_dim * _dim);
            Math = new CudaRotationMath(_context, _blas, _stream);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static void CheckMemory(CudaContext context, long tokens, int dim)
    {
        long needed = 2 * tokens * dim * Unsafe.SizeOf<TDevice>() + (long)CovarianceChunkTokens * dim * 12 + 8L * dim * dim;
        var (free, _) = context.MemoryInfo();
        if (needed > free * 9 / 10)
            throw new SlicingException($"the calibration activations need {needed / (1 << 20):N0} MiB on the GPU, {free / (1 << 20):N0} MiB are free; use fewer --nsamples or a shorter --calib-seqlen");
    }

    public IRotationMath Math { get; } = null!;

    public void Embed() => ForEachBatch((first, count) =>
        _session.EmbedRows(_calibration.RowSpan(first, count), count, _calibration.SeqLen, Rows(_signals, first, count, _dim)));

    public void AttentionProbe(TransformerLayer<float> probe) => WithProbe(probe, (layer, first, count) =>
        _session.AttentionResidual(layer, Rows(_inputs, first, count, probe.DIn), Rows(_signals, first, count, _dim), count, _calibration.SeqLen));

    public void MlpProbe(TransformerLayer<float> probe) => WithProbe(probe, (layer, first, count) =>
        _session.MlpResidual(layer, Rows(_inputs, first, count, probe.DMid), Rows(_signals, first, count, _dim), count * _calibration.SeqLen));

    public void ParallelProbe(TransformerLayer<float> probe) => WithProbe(probe, (layer, first, count) =>
        _session.ParallelBlock(layer, Rows(_inputs, first, count, probe.DIn), Rows(_signals, first, count, _dim), count, _calibration.SeqLen));

    public PrincipalBasis Basis(string signal)
    {
        var stream = _stream;
        using var scope = _context.Bind();
        _covariance.Clear(stream);
        for (long first = 0; first < _tokens; first += CovarianceChunkTokens)
        {
            int count = (int)System.Math.Min(CovarianceChunkTokens, _tokens - first);
            long length = (long)count * _dim;
            var source = _signals.Slice(first * _dim, length);
            var wide = _chunkDouble.Slice(0, length);
            if (_chunkSingle is null)
                _kernels.Convert.Convert(stream, source.Cast<float>(), wide, length);
            else
            {
                _kernels.Convert.Convert(stream, source, _chunkSingle.Slice(0, length), length);
                _kernels.Convert.Convert(stream, _chunkSingle.Slice(0, length), wide, length);
            }
            _blas.SyrkTransposedUpper(stream, _dim, count, 1.0, wide, _dim, 1.0, _covariance, _dim);
        }
        var h = new double[(long)_dim * _dim];
        stream.CopyToHost(_covariance.Memory, h);
        stream.Synchronize();
        CovarianceAccumulator.CompleteUpper(h, _dim, signal);
        double damping = PrincipalBasis.Damp(h, _dim);
        _covariance.CopyFromHost(h);
        var q = new double[(long)_dim * _dim];
        var eigenvalues = new double[_dim];
        _solver.SymmetricEigenDescending(stream, _covariance, _dim, q, eigenvalues);
        return PrincipalBasis.FromEigen(q, eigenvalues, damping, _dim);
    }

    public void Project(PrincipalBasis basis, int width)
    {
        var stream = _stream;
        using var scope = _context.Bind();
        var leading = new float[(long)_dim * width];
        for (int r = 0; r < _dim; r++)
            for (int k = 0; k < width; k++)
                leading[(long)r * width + k] = (float)basis.Q[(long)r * _dim + k];
        using var single = _context.Upload<float>(leading);
        using var converted = typeof(TDevice) == typeof(float) ? null : _context.Allocate<TDevice>(leading.Length);
        DeviceMemory<TDevice> q = converted is null ? single.Memory.Cast<TDevice>() : converted.Memory;
        if (converted is not null)
            _kernels.Convert.Convert(stream, single.Memory, converted.Memory, leading.Length);
        // inputs (tokens × width) = signals (tokens × D) · Q[:, :width] (D × width), in row blocks of int-sized counts.
        for (long first = 0; first < _tokens; first += CovarianceChunkTokens * 16L)
        {
            int count = (int)System.Math.Min(CovarianceChunkTokens * 16L, _tokens - first);
            _blas.GemmRowMajor(stream, false, false, count, width, _dim, 1f, _signals.Slice(first * _dim, (long)count * _dim), _dim,
                q, width, 0f, _inputs.Slice(first * width, (long)count * width), width);
        }
        stream.Synchronize();
    }

    private delegate void BatchAction(int firstRow, int rowCount);

    private delegate void ProbeAction(CudaLayer<TDevice> layer, int firstRow, int rowCount);

    private void ForEachBatch(BatchAction action)
    {
        for (int first = 0; first < _calibration.Rows; first += _batch)
            action(first, System.Math.Min(_batch, _calibration.Rows - first));
        _session.Synchronize();
    }

    // Uploads the probe block, runs it over every batch, and frees it once the stream has finished with it.
    private void WithProbe(TransformerLayer<float> probe, ProbeAction action)
    {
        using var upload = _shell.UploadLayer(probe);
        ForEachBatch((first, count) => action(upload.Layer, first, count));
    }

    private DeviceMemory<TDevice> Rows(DeviceBuffer<TDevice> buffer, int firstRow, int rowCount, int width) =>
        buffer.Slice((long)firstRow * _calibration.SeqLen * width, (long)rowCount * _calibration.SeqLen * width);

    public void Dispose()
    {
        using (_context.IsDisposed ? default : _context.Bind())
        {
            _covariance?.Dispose();
            _chunkDouble?.Dispose();
            _chunkSingle?.Dispose();
            _signals?.Dispose();
            _inputs?.Dispose();
            _solver?.Dispose();
            _blas?.Dispose();
        }
        _session?.Dispose();
        _shell?.Dispose();
    }
}
