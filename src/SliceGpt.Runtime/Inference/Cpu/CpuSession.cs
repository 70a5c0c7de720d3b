using System.Numerics;
using SliceGpt.Runtime.Inference.Forward;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cpu;

/// <summary>
/// A session on the CPU: the shared forward driver over <see cref="CpuForwardOps{T}"/>. All activation buffers and
/// the KV cache are allocated at creation (llama2.c's malloc_run_state); a decode step allocates no managed memory.
/// Not thread-safe (one session per thread or request); any number of sessions may share one model.
/// </summary>
public sealed partial class CpuSession<T> : IInferenceSession where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly TransformerModel<T> _model;
    private readonly ModelConfig _c;
    private readonly CpuForwardOps<T> _ops;
    private readonly SessionRunner<TransformerLayer<T>> _runner;
    private int _disposed;

    /// <summary>Creates a session with buffers for <paramref name="maxBatch"/> rows of <paramref name="maxSeqLen"/> tokens.</summary>
    public CpuSession(TransformerModel<T> model, int maxBatch, int maxSeqLen) : this(model, new SessionOptions(maxBatch, maxSeqLen))
    {
    }

    /// <summary>Creates a session of the given shape (slots, their length, the paging of the KV cache).</summary>
    public CpuSession(TransformerModel<T> model, SessionOptions options) : this(model, options, model.Config.NLayers)
    {
    }

    /// <summary>
    /// A session whose KV cache holds only <paramref name="cachedLayers"/> layers: the slicing pipeline runs one block
    /// at a time (through layer slot 0) and needs no cache for the others; a scoring session reuses one for every block.
    /// </summary>
    internal CpuSession(TransformerModel<T> model, int maxBatch, int maxSeqLen, int cachedLayers)
        : this(model, new SessionOptions(maxBatch, maxSeqLen), cachedLayers)
    {
    }

    internal CpuSession(TransformerModel<T> model, SessionOptions options, int cachedLayers)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _c = model.Config;
        SessionLimits.Check(_c, options.MaxSeqLen);
        _model = model;
        var kvBlocks = new KvBlockTable(options.MaxBatch, options.MaxSeqLen, options.BlockSize, options.Blocks);
        _ops = new CpuForwardOps<T>(model, options, kvBlocks, cachedLayers);
        _runner = new SessionRunner<TransformerLayer<T>>(_c, _ops, model.Layers, model.Head.InFeatures, options, kvBlocks, cachedLayers,
            options.Profile ? new HostOpClock() : null);
    }

    /// <inheritdoc/>
    public string Backend => $"cpu (OpenBLAS, {(typeof(T) == typeof(double) ? "float64" : "float32")})";

    /// <inheritdoc/>
    public int MaxSeqLen => _runner.MaxSeqLen;

    /// <inheritdoc/>
    public int MaxBatch => _runner.MaxBatch;

    /// <inheritdoc/>
    public int Position => _runner.Position;

    /// <inheritdoc/>
    public void Reset() => _runner.Reset();

    /// <inheritdoc/>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        ThrowIfDisposed();
        return _runner.Prefill(tokens);
    }

    /// <inheritdoc/>
    public ReadOnlySpan<float> Step(int token)
    {
        ThrowIfDisposed();
        return _runner.Step(token);
    }

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<SequenceChunk> chunks, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        ThrowIfDisposed();
        _runner.Forward(chunks, tokens, logits);
    }

    /// <inheritdoc/>
    public void ScoreTargets(ReadOnlySpan<SequenceChunk> chunks, ReadOnlySpan<int> tokens, ReadOnlySpan<int> targets, Span<double> logProbs,
        Span<int> greedy = default)
    {
        ThrowIfDisposed();
        _runner.ScoreTargets(chunks, tokens, targets, logProbs, greedy);
    }

    /// <inheritdoc/>
    public void CopySlot(int source, int target, int length)
    {
        ThrowIfDisposed();
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
    public ForwardProfile? TakeProfile() => _runner.TakeProfile();

    /// <inheritdoc/>
    public void RowNegLogLikelihoods(ReadOnlySpan<int> rows, int batch, int seqLen, Span<double> nllPerRow)
    {
        ThrowIfDisposed();
        _runner.RowNegLogLikelihoods(rows, batch, seqLen, nllPerRow);
    }

    /// <summary>
    /// Full logits of every position of <paramref name="batch"/> rows run from position 0, into
    /// <paramref name="logits"/> (batch · seqLen · vocab). Used by the exactness tests.
    /// </summary>
    public void Logits(ReadOnlySpan<int> rows, int batch, int seqLen, Span<T> logits)
    {
        ThrowIfDisposed();
        _runner.CheckRows(rows, batch, seqLen);
        int vocab = _c.VocabSize, n = batch * seqLen;
        if (logits.Length < (long)n * vocab)
            throw new ArgumentException($"{n} rows of {vocab} logits need {(long)n * vocab} elements, the span holds {logits.Length}", nameof(logits));
        _runner.RunUniform(rows, batch, seqLen);
        for (int start = 0; start < n; start += _ops.LogitRows)
        {
            int count = Math.Min(_ops.LogitRows, n - start);
            _ops.HeadRows(start, count);
            _ops.Logits[..(count * vocab)].CopyTo(logits.Slice(start * vocab, count * vocab));
        }
    }

    /// <summary>Makes further calls throw <see cref="ObjectDisposedException"/>; the buffers go with the garbage collector. Idempotent.</summary>
    public void Dispose() => Interlocked.Exchange(ref _disposed, 1);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
