using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>
/// The GPU forward pass: CpuSession's semantics (dense and sliced models of every family) with cuBLAS GEMMs and
/// the engine's kernels, on the session's own stream and cuBLAS handle. Activations and the KV cache are
/// allocated once, at creation; a decode step allocates no managed memory. Not thread-safe (one session per
/// thread or request), but any thread may call it: every entry point binds the GPU context for its duration.
/// The session keeps its model's weights alive until it is disposed.
/// </summary>
public sealed partial class CudaSession<T> : IInferenceSession where T : unmanaged
{
    private readonly CudaExecutableModel<T> _owner;
    private readonly IGpu _device;
    private readonly CudaModelWeights<T> _weights;
    private readonly ModelConfig _c;
    private readonly IGpuQueue<T> _q;            // the session's stream and cuBLAS handle
    private readonly SessionBuffers<T> _b;
    private readonly int _maxWidth;              // widest residual of the (possibly sliced) model
    private readonly int _qkvDim;
    private readonly int[] _positionsHost;       // (maxTokens) staged before each upload
    private readonly float[] _logitsOut;         // (vocab) the last row's logits, returned by Prefill and Step
    private readonly int[] _stepToken = new int[1];
    private DeviceMemory<T> _x;                  // the residual buffer holding the stream now (X or R of _b)
    private DeviceMemory<T> _r;                  // the other one
    private int _disposed;

    internal CudaSession(CudaExecutableModel<T> owner, int maxBatch, int maxSeqLen, int cachedLayers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSeqLen, 1);
        var c = owner.Config;
        if (maxSeqLen > c.MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(maxSeqLen), maxSeqLen, $"the model supports at most {c.MaxSeqLen} positions");
        if (c.SlidingWindow is int window && maxSeqLen > window)
            throw new ArgumentOutOfRangeException(nameof(maxSeqLen), maxSeqLen,
                $"sequences longer than the sliding window ({window}) are not supported");
        owner.Acquire();
        _owner = owner;
        _device = owner.Device;
        _weights = owner.Weights;
        _c = c;
        MaxBatch = maxBatch;
        MaxSeqLen = maxSeqLen;
        _maxWidth = _weights.Layers.Select(l => l.MaxWidth).Append(_weights.Embedding.Cols).Append(_weights.Head.InFeatures).Max();
        _qkvDim = c.QDim + 2 * c.KvDim;
        try
        {
            using var scope = _device.Bind();
            _q = _device.CreateQueue<T>();
            try
            {
                _b = new SessionBuffers<T>(_device, c, _maxWidth, maxBatch, maxSeqLen, cachedLayers);
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
        (_x, _r) = (_b.X, _b.R);
        _positionsHost = new int[checked(maxBatch * maxSeqLen)];
        _logitsOut = new float[c.VocabSize];
        Backend = owner.Backend;
    }

    /// <inheritdoc/>
    public string Backend { get; }

    /// <inheritdoc/>
    public int MaxSeqLen { get; }

    /// <inheritdoc/>
    public int MaxBatch { get; }

    /// <inheritdoc/>
    public int Position { get; private set; }

    /// <summary>The model's dimensions.</summary>
    public ModelConfig Config => _c;

    /// <summary>Device bytes held by this session (activations, KV cache, workspaces).</summary>
    public long DeviceBytes => _b.Bytes;

    /// <summary>The stream every operation of this session is queued on (null on an emulated device).</summary>
    internal CudaStream? Stream => _q.Stream;

    /// <inheritdoc/>
    public void Reset() => Position = 0;

    /// <inheritdoc/>
    /// <remarks>The span is a buffer of this session, valid until its next call.</remarks>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        ThrowIfDisposed();
        if (tokens.IsEmpty)
            throw new ArgumentException("prefill needs at least one token", nameof(tokens));
        if (Position + tokens.Length > MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"{Position} + {tokens.Length} tokens exceed the session's {MaxSeqLen} positions");
        CheckIds(tokens);
        using var scope = _device.Bind();
        UploadTokens(tokens);
        Forward(1, tokens.Length, Position);
        Position += tokens.Length;
        ComputeLogits(tokens.Length - 1, 1);
        _q.Download(_b.Logits.Slice(0, _c.VocabSize), _logitsOut);
        // The pageable copy has completed; synchronising also surfaces a fault of this step's kernels here.
        _q.Synchronize();
        return _logitsOut;
    }

    /// <inheritdoc/>
    /// <remarks>The span is a buffer of this session, valid until its next call.</remarks>
    public ReadOnlySpan<float> Step(int token)
    {
        _stepToken[0] = token;
        return Prefill(_stepToken);
    }

    /// <inheritdoc/>
    /// <remarks>Logits are computed in chunks and reduced on the GPU: only the per-row sums come back.</remarks>
    public void RowNegLogLikelihoods(ReadOnlySpan<int> rows, int batch, int seqLen, Span<double> nllPerRow)
    {
        ThrowIfDisposed();
        CheckRows(rows, batch, seqLen);
        if (nllPerRow.Length < batch)
            throw new ArgumentException($"{batch} rows need {batch} sums, the span holds {nllPerRow.Length}", nameof(nllPerRow));
        using var scope = _device.Bind();
        Position = 0;
        UploadTokens(rows);
        Forward(batch, seqLen, 0);
        SumRowNegLogLikelihoods(batch, seqLen);
        _q.Download(_b.RowSums.Slice(0, batch), nllPerRow[..batch]);
        _q.Synchronize();
    }

    /// <summary>
    /// Full fp32 logits of every position of <paramref name="batch"/> rows run from position 0, into
    /// <paramref name="logits"/> (batch · seqLen · vocab), as CpuSession.Logits. Used by the parity tests.
    /// </summary>
    public void Logits(ReadOnlySpan<int> rows, int batch, int seqLen, Span<float> logits)
    {
        ThrowIfDisposed();
        CheckRows(rows, batch, seqLen);
        int vocab = _c.VocabSize, n = batch * seqLen;
        if (logits.Length < (long)n * vocab)
            throw new ArgumentException($"{n} rows of {vocab} logits need {(long)n * vocab} elements, the span holds {logits.Length}", nameof(logits));
        using var scope = _device.Bind();
        Position = 0;
        UploadTokens(rows);
        Forward(batch, seqLen, 0);
        for (int start = 0; start < n; start += _b.LogitRows)
        {
            int count = Math.Min(_b.LogitRows, n - start);
            ComputeLogits(start, count);
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
        }
        finally
        {
            _b.Dispose();
            _owner.Release();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private void CheckIds(ReadOnlySpan<int> tokens)
    {
        // The embedding kernel would turn a bad id into a NaN row; users get the CPU session's exception instead.
        foreach (int id in tokens)
            if ((uint)id >= (uint)_c.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), id, $"token ids must be below the vocabulary size {_c.VocabSize}");
    }

    private void CheckRows(ReadOnlySpan<int> rows, int batch, int seqLen)
    {
        if (batch < 1 || batch > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"the session holds 1..{MaxBatch} rows");
        if (seqLen < 2 || seqLen > MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(seqLen), seqLen, $"rows must have 2..{MaxSeqLen} tokens");
        if (rows.Length != batch * seqLen)
            throw new ArgumentException($"expected {batch}×{seqLen} = {batch * seqLen} tokens, got {rows.Length}", nameof(rows));
        CheckIds(rows);
    }
}
