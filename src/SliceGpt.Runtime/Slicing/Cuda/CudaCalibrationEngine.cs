using System.Runtime.CompilerServices;
using SliceGpt.Kernels;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Cuda;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing.Cuda;

/// <summary>Where the GPU engine keeps calibration activations.</summary>
internal enum ActivationResidence
{
    /// <summary>On the device when both sets fit in its free memory, else in host memory.</summary>
    Auto,
    /// <summary>On the device.</summary>
    Device,
    /// <summary>In host memory, staged through the device one batch at a time.</summary>
    Host,
}

/// <summary>
/// Calibration on a GPU, in the storage type <typeparamref name="TDevice"/> (float, Half or BFloat16). The inputs and
/// signals live on the device when both fit in its free memory, else in host memory staged one batch at a time
/// (<see cref="ActivationStore{T}"/>). Probe blocks run through a block session of the model's shell (embedding and
/// head only; one block is uploaded at a time). Each batch of signals is widened to float64 and added to the
/// covariance with cuBLAS DSYRK while it is on the device; cuSOLVER DSYEVD eigendecomposes the result. Everything is
/// queued on the session's stream.
/// </summary>
internal sealed class CudaCalibrationEngine<TDevice> : ICalibrationEngine<float> where TDevice : unmanaged
{
    private readonly CalibrationSet _calibration;
    private readonly CudaContext _context;
    private readonly CudaKernels _kernels;
    private readonly CudaExecutableModel<TDevice> _shell;
    private readonly CudaSession<TDevice> _session = null!;
    private readonly CudaStream _stream = null!;
    private readonly BlasHandle _blas = null!;
    private readonly SolverHandle _solver = null!;
    private readonly ActivationStore<TDevice> _inputs = null!;   // (tokens, current width)
    private readonly ActivationStore<TDevice> _signals = null!;  // (tokens, D)
    private readonly DeviceBuffer<float>? _wideSingle;           // (batch tokens, D) 16-bit signals widened to float first
    private readonly DeviceBuffer<double> _wideDouble = null!;   // (batch tokens, D)
    private readonly DeviceBuffer<double> _covariance = null!;   // (D, D) upper triangle accumulated
    private readonly int _dim, _batch;

    /// <summary>Allocates everything now; throws <see cref="SlicingException"/> when even batch-wise staging does not fit.</summary>
    public CudaCalibrationEngine(CudaBackend backend, TransformerModel<float> fusedShell, CalibrationSet calibration, int batchRows,
        ActivationResidence residence = ActivationResidence.Auto)
    {
        _calibration = calibration;
        _dim = fusedShell.Config.Dim;
        _batch = System.Math.Min(batchRows, calibration.Rows);
        _context = backend.Context;
        _kernels = ((CudaDevice)backend.Gpu).Kernels;
        _shell = (CudaExecutableModel<TDevice>)backend.Prepare(fusedShell, CudaPrecisionExtensions.Of<TDevice>());
        try
        {
            _session = _shell.CreateBlockSession(_batch, calibration.SeqLen);
            _stream = _session.Stream ?? throw new InvalidOperationException("a CUDA session always has a stream");
            using var scope = _context.Bind();
            long batchTokens = (long)_batch * calibration.SeqLen;
            _covariance = _context.Allocate<double>((long)_dim * _dim);
            _covariance.Clear();
            _wideDouble = _context.Allocate<double>(batchTokens * _dim);
            _wideSingle = typeof(TDevice) == typeof(float) ? null : _context.Allocate<float>(batchTokens * _dim);
            (_inputs, _signals) = CreateStores(residence);
            _blas = new BlasHandle(_context);
            _solver = new SolverHandle(_context);
            Math = new CudaRotationMath(_context, _blas, _stream);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Where the activations are kept: "device" or "host (staged)".</summary>
    public string Residence { get; private set; } = "";

    private (ActivationStore<TDevice>, ActivationStore<TDevice>) CreateStores(ActivationResidence residence)
    {
        var c = _calibration;
        long resident = 2L * c.Rows * c.SeqLen * _dim * Unsafe.SizeOf<TDevice>();
        long staged = 2L * _batch * c.SeqLen * _dim * Unsafe.SizeOf<TDevice>();
        var (free, _) = _context.MemoryInfo();
        long budget = free - free / 10; // leave a tenth for cuBLAS/cuSOLVER workspaces and probe blocks
        if (residence == ActivationResidence.Device || (residence == ActivationResidence.Auto && resident <= budget))
        {
            Residence = "device";
            return (new DeviceActivations<TDevice>(_context, c.Rows, c.SeqLen, _dim), new DeviceActivations<TDevice>(_context, c.Rows, c.SeqLen, _dim));
        }
        if (staged <= budget || residence == ActivationResidence.Host)
        {
            Residence = "host (staged)";
            return (new HostActivations<TDevice>(_context, c.Rows, _batch, c.SeqLen, _dim), new HostActivations<TDevice>(_context, c.Rows, _batch, c.SeqLen, _dim));
        }
        throw new SlicingException($"one calibration batch needs {staged / (1 << 20):N0} MiB on the GPU, {free / (1 << 20):N0} MiB are free; use a shorter --calib-seqlen");
    }

    public IRotationMath Math { get; } = null!;

    public void Embed() => ForEachBatch((first, count) =>
    {
        var output = _signals.Target(first, count, _dim);
        _session.EmbedRows(_calibration.RowSpan(first, count), count, _calibration.SeqLen, output);
        Accumulate(output, count);
        _signals.Commit(_stream, first, count, _dim);
    });

    public void AttentionProbe(TransformerLayer<float> probe) => RunProbe(probe, probe.DIn, (layer, x, y, count) =>
        _session.AttentionResidual(layer, x, y, count, _calibration.SeqLen));

    public void MlpProbe(TransformerLayer<float> probe) => RunProbe(probe, probe.DMid, (layer, h, y, count) =>
        _session.MlpResidual(layer, h, y, count * _calibration.SeqLen));

    public void ParallelProbe(TransformerLayer<float> probe) => RunProbe(probe, probe.DIn, (layer, x, y, count) =>
        _session.ParallelBlock(layer, x, y, count, _calibration.SeqLen));

    // The covariance of this stage's signals was accumulated batch by batch as they were produced.
    public PrincipalBasis Basis(string signal)
    {
        using var scope = _context.Bind();
        var h = new double[(long)_dim * _dim];
        _stream.CopyToHost(_covariance.Memory, h);
        _stream.Synchronize();
        CovarianceAccumulator.CompleteUpper(h, _dim, signal);
        double damping = PrincipalBasis.Damp(h, _dim);
        _covariance.CopyFromHost(h);
        var q = new double[(long)_dim * _dim];
        var eigenvalues = new double[_dim];
        _solver.SymmetricEigenDescending(_stream, _covariance, _dim, q, eigenvalues);
        _covariance.Clear(_stream); // ready for the next stage's signals
        return PrincipalBasis.FromEigen(q, eigenvalues, damping, _dim);
    }

    public void Project(PrincipalBasis basis, int width)
    {
        using var scope = _context.Bind();
        var leading = new float[(long)_dim * width];
        for (int r = 0; r < _dim; r++)
            for (int k = 0; k < width; k++)
                leading[(long)r * width + k] = (float)basis.Q[(long)r * _dim + k];
        using var single = _context.Upload<float>(leading);
        using var converted = typeof(TDevice) == typeof(float) ? null : _context.Allocate<TDevice>(leading.Length);
        DeviceMemory<TDevice> q = converted is null ? single.Memory.Cast<TDevice>() : converted.Memory;
        if (converted is not null)
            _kernels.Convert.Convert(_stream, single.Memory, converted.Memory, leading.Length);
        // inputs (tokens × width) = signals (tokens × D) · Q[:, :width] (D × width), a batch of rows at a time.
        ForEachBatch((first, count) =>
        {
            int tokens = count * _calibration.SeqLen;
            var target = _inputs.Target(first, count, width);
            _blas.GemmRowMajor(_stream, false, false, tokens, width, _dim, 1f, _signals.Read(_stream, first, count, _dim), _dim,
                q, width, 0f, target, width);
            _inputs.Commit(_stream, first, count, width);
        });
    }

    private delegate void ProbeRun(CudaLayer<TDevice> layer, DeviceMemory<TDevice> input, DeviceMemory<TDevice> output, int rowCount);

    // Uploads the probe block, runs it over every batch (signals accumulated as they come), frees it when the stream is done.
    private void RunProbe(TransformerLayer<float> probe, int inputWidth, ProbeRun run)
    {
        using var upload = _shell.UploadLayer(probe);
        ForEachBatch((first, count) =>
        {
            var output = _signals.Target(first, count, _dim);
            run(upload.Layer, _inputs.Read(_stream, first, count, inputWidth), output, count);
            Accumulate(output, count);
            _signals.Commit(_stream, first, count, _dim);
        });
    }

    // H += Sᵀ·S for a batch of signals S (rows × D), widened to float64 on the device first.
    private void Accumulate(DeviceMemory<TDevice> signals, int rows)
    {
        int tokens = rows * _calibration.SeqLen;
        long length = (long)tokens * _dim;
        var wide = _wideDouble.Slice(0, length);
        if (_wideSingle is null)
            _kernels.Convert.Convert(_stream, signals.Cast<float>(), wide, length);
        else
        {
            _kernels.Convert.Convert(_stream, signals, _wideSingle.Slice(0, length), length);
            _kernels.Convert.Convert(_stream, _wideSingle.Slice(0, length), wide, length);
        }
        _blas.SyrkTransposedUpper(_stream, _dim, tokens, 1.0, wide, _dim, 1.0, _covariance, _dim);
    }

    private delegate void BatchAction(int firstRow, int rowCount);

    private void ForEachBatch(BatchAction action)
    {
        using var scope = _context.Bind();
        for (int first = 0; first < _calibration.Rows; first += _batch)
            action(first, System.Math.Min(_batch, _calibration.Rows - first));
        _stream.Synchronize();
    }

    public void Dispose()
    {
        using (_context.IsDisposed ? default : _context.Bind())
        {
            _covariance?.Dispose();
            _wideDouble?.Dispose();
            _wideSingle?.Dispose();
            _signals?.Dispose();
            _inputs?.Dispose();
            _solver?.Dispose();
            _blas?.Dispose();
        }
        _session?.Dispose();
        _shell?.Dispose();
    }
}
