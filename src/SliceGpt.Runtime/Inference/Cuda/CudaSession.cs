using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Forward;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>
/// A session on the GPU: the shared forward driver over <see cref="CudaForwardOps{T}"/> (cuBLAS GEMMs and the
/// engine's kernels) on the session's own stream and cuBLAS handle. Activations and the KV cache are allocated once,
/// at creation; a decode step allocates no managed memory. Not thread-safe (one session per thread or request), but
/// any thread may call it: every entry point binds the GPU context for its duration. The session keeps its model's
/// weights alive until it is disposed.
/// </summary>
public sealed partial class CudaSession<T> : IInferenceSession where T : unmanaged
{
    private readonly CudaExecutableModel<T> _owner;
    private readonly IGpu _device;
    private readonly CudaModelWeights<T> _weights;
    private readonly ModelConfig _c;
    private readonly IGpuQueue<T> _q;            // the session's stream and cuBLAS handle
    private readonly SessionBuffers<T> _b;
    private readonly CudaForwardOps<T> _ops;
    private readonly SessionRunner<CudaLayer<T>> _runner;
    private readonly IOpClock? _clock;             // the profiler's events, when profiling
    private readonly int _maxWidth;              // widest residual of the (possibly sliced) model
    private readonly int _qkvDim;
    private int _disposed;

    internal CudaSession(CudaExecutableModel<T> owner, SessionOptions options, int cachedLayers)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var c = owner.Config;
        SessionLimits.Check(c, options.MaxSeqLen);
        if (options.BlockSize != options.MaxSeqLen)
            throw new NotSupportedException($"a paged KV cache (blocks of {options.BlockSize} positions in slots of {options.MaxSeqLen}) is not implemented on the GPU yet: the kernels address one block per slot");
        owner.Acquire();
        _owner = owner;
        _device = owner.Device;
        _weights = owner.Weights;
        _c = c;
        _maxWidth = _weights.Layers.Select(l => l.MaxWidth).Append(_weights.Embedding.Cols).Append(_weights.Head.InFeatures).Max();
        _qkvDim = c.QDim + 2 * c.KvDim;
        try
        {
            using var scope = _device.Bind();
            _q = _device.CreateQueue<T>();
            try
            {
                _b = new SessionBuffers<T>(_device, c, _maxWidth, options, cachedLayers);
            }
            catch
            {
                _q.Dispose();
                throw;
            }
        }
        catch
        {
            owner.Release();
            throw;
        }
        var kvBlocks = new KvBlockTable(options.MaxBatch, options.MaxSeqLen, options.BlockSize, options.Blocks);
        _ops = new CudaForwardOps<T>(c, _weights, _q, _b, options, kvBlocks);
        _clock = options.Profile ? _q.CreateClock() : null;
        _runner = new SessionRunner<CudaLayer<T>>(c, _ops, _weights.Layers, _weights.Head.InFeatures, options, kvBlocks, cachedLayers, _clock);
        Backend = owner.Backend;
    }

    /// <inheritdoc/>
    public string Backend { get; }

    /// <inheritdoc/>
    public int MaxSeqLen => _runner.MaxSeqLen;

    /// <inheritdoc/>
    public int MaxBatch => _runner.MaxBatch;

    /// <inheritdoc/>
    public int Position => _runner.Position;

    /// <summary>The model's dimensions.</summary>
    public ModelConfig Config => _c;

    /// <summary>Device bytes held by this session (activations, KV cache, workspaces).</summary>
    public long DeviceBytes => _b.Bytes;

    /// <summary>The stream every operation of this session is queued on (null on an emulated device).</summary>
    internal CudaStream? Stream => _q.Stream;

    /// <inheritdoc/>
    public void Reset() => _runner.Reset();

    /// <inheritdoc/>
    /// <remarks>The span is a buffer of this session, valid until its next call.</remarks>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        ThrowIfDisposed();
        using var scope = _device.Bind();
        return _runner.Prefill(tokens);
    }

    /// <inheritdoc/>
    /// <remarks>The span is a buffer of this session, valid until its next call.</remarks>
    public ReadOnlySpan<float> Step(int token)
    {
        ThrowIfDisposed();
        using var scope = _device.Bind();
        return _runner.Step(token);
    }

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<SequenceChunk> chunks, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        ThrowIfDisposed();
        using var scope = _device.Bind();
        _runner.Forward(chunks, tokens, logits);
    }

    /// <inheritdoc/>
    /// <remarks>Logits are computed in chunks and reduced on the GPU: only the per-row log-probabilities come back.</remarks>
    public void ScoreTargets(ReadOnlySpan<SequenceChunk> chunks, ReadOnlySpan<int> tokens, ReadOnlySpan<int> targets, Span<double> logProbs,
        Span<int> greedy = default)
    {
        ThrowIfDisposed();
        using var scope = _device.Bind();
        _runner.ScoreTargets(chunks, tokens, targets, logProbs, greedy);
    }

    /// <inheritdoc/>
    public void CopySlot(int source, int target, int length)
    {
        ThrowIfDisposed();
        using var scope = _device.Bind();
        _runner.CopySlot(source, target, length);
    }

    /// <inheritdoc/>
    public void ReleaseSlot(int slot)
    {
        ThrowIfDisposed();
        _runner.ReleaseSlot(slot);
    }

    /// <inheritdoc/>
    public int SlotLength(int slot) => _runner.SlotLength(slot);

    /// <inheritdoc/>
    public int KvBlockSize => _runner.KvBlocks.BlockSize;

    /// <inheritdoc/>
    public int KvBlockCount => _runner.KvBlocks.Blocks;

    /// <inheritdoc/>
    public int FreeKvBlocks => _runner.KvBlocks.FreeBlocks;

    /// <inheritdoc/>
    /// <remarks>Waits for the session's stream first: the times are those of CUDA events around each operation.</remarks>
    public ForwardProfile? TakeProfile()
    {
        ThrowIfDisposed();
        using var scope = _device.Bind();
        _q.Synchronize();
        return _runner.TakeProfile();
    }

    /// <inheritdoc/>
    /// <remarks>Logits are computed in chunks and reduced on the GPU: only the per-row sums come back.</remarks>
    public void RowNegLogLikelihoods(ReadOnlySpan<int> rows, int batch, int seqLen, Span<double> nllPerRow)
    {
        ThrowIfDisposed();
        using var scope = _device.Bind();
        _runner.RowNegLogLikelihoods(rows, batch, seqLen, nllPerRow);
    }

    /// <summary>
    /// Full fp32 logits of every position of <paramref name="batch"/> rows run from position 0, into
    /// <paramref name="logits"/> (batch · seqLen · vocab), as CpuSession.Logits. Used by the parity tests.
    /// </summary>
    public void Logits(ReadOnlySpan<int> rows, int batch, int seqLen, Span<float> logits)
    {
        ThrowIfDisposed();
        _runner.CheckRows(rows, batch, seqLen);
        int vocab = _c.VocabSize, n = batch * seqLen;
        if (logits.Length < (long)n * vocab)
            throw new ArgumentException($"{n} rows of {vocab} logits need {(long)n * vocab} elements, the span holds {logits.Length}", nameof(logits));
        using var scope = _device.Bind();
        _runner.RunUniform(rows, batch, seqLen);
        for (int start = 0; start < n; start += _b.LogitRows)
        {
            int count = Math.Min(_b.LogitRows, n - start);
            _ops.HeadRows(_ops.NormedRows(start, count), count);
            _q.Download(_b.Logits.Slice(0, (long)count * vocab), logits.Slice(start * vocab, count * vocab));
        }
        _q.Synchronize();
    }

    /// <summary>Frees the session's stream, cuBLAS handle and device memory, and returns its hold on the model. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            using var scope = _device.Bind();
            // The queue waits for its work first: nothing queued may run on freed memory.
            _q.Dispose();
            _clock?.Dispose();
        }
        finally
        {
            _b.Dispose();
            _owner.Release();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
