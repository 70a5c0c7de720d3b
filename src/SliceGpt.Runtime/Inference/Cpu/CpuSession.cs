using System.Numerics;
using SliceGpt.Native.Cpu;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cpu;

/// <summary>
/// The CPU forward pass. All activation buffers and the KV cache are allocated in the constructor
/// (llama2.c's malloc_run_state); a forward pass allocates no managed memory.
/// </summary>
public sealed partial class CpuSession<T> : IInferenceSession where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly TransformerModel<T> _model;
    private readonly ModelConfig _c;
    private readonly RopeTable<T>? _rope;
    private readonly int _maxTokens;        // maxBatch · maxSeqLen
    private readonly int _maxWidth;         // widest residual of the (possibly sliced) model
    private readonly int _qkvDim;

    private T[] _x;                          // (maxTokens, maxWidth) residual stream
    private T[] _r;                          // (maxTokens, maxWidth) second residual buffer
    private readonly T[] _h;                 // (maxTokens, maxWidth) norm output
    private readonly T[] _qkv;               // (maxTokens, qDim + 2·kvDim)
    private readonly T[] _att;               // (maxTokens, qDim)
    private readonly T[] _up;                // (maxTokens, upDim)
    private readonly T[] _act;               // (maxTokens, hiddenDim)
    private readonly T[][] _scores;          // (workers) × (QueryBlock, maxSeqLen) attention of one block of queries each
    private readonly T[] _logits;            // (logitRows, vocab)
    private readonly float[] _logitsOut;     // (vocab) the last row as float, for sampling
    private readonly T[][] _keyCache;        // (nLayers) × (maxBatch, maxSeqLen, kvDim)
    private readonly T[][] _valueCache;      // (nLayers) × (maxBatch, maxSeqLen, kvDim)
    private readonly int[] _positions;       // (maxTokens) position of each row's token
    private readonly int _logitRows;
    private readonly int[] _stepToken = new int[1];

    /// <summary>Creates a session with buffers for <paramref name="maxBatch"/> rows of <paramref name="maxSeqLen"/> tokens.</summary>
    public CpuSession(TransformerModel<T> model, int maxBatch, int maxSeqLen) : this(model, maxBatch, maxSeqLen, model.Config.NLayers)
    {
    }

    /// <summary>
    /// A session whose KV cache holds only <paramref name="cachedLayers"/> layers: the slicing pipeline runs one block
    /// at a time (through layer slot 0) and needs no cache for the others.
    /// </summary>
    internal CpuSession(TransformerModel<T> model, int maxBatch, int maxSeqLen, int cachedLayers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSeqLen, 1);
        _c = model.Config;
        if (maxSeqLen > _c.MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(maxSeqLen), maxSeqLen, $"the model supports at most {_c.MaxSeqLen} positions");
        if (_c.SlidingWindow is int window && maxSeqLen > window)
            throw new ArgumentOutOfRangeException(nameof(maxSeqLen), maxSeqLen,
                $"sequences longer than the sliding window ({window}) are not supported");
        _model = model;
        MaxBatch = maxBatch;
        MaxSeqLen = maxSeqLen;
        _maxTokens = checked(maxBatch * maxSeqLen);
        _maxWidth = model.Layers.Select(l => Math.Max(l.DIn, Math.Max(l.DMid, l.DOut))).DefaultIfEmpty(model.Embedding.Cols).Max();
        _qkvDim = _c.QDim + 2 * _c.KvDim;
        _rope = _c.Rope == RopeLayout.None ? null : new RopeTable<T>(_c, maxSeqLen);
        _x = new T[_maxTokens * _maxWidth];
        _r = new T[_maxTokens * _maxWidth];
        _h = new T[_maxTokens * _maxWidth];
        _qkv = new T[_maxTokens * _qkvDim];
        _att = new T[_maxTokens * _c.QDim];
        _up = new T[_maxTokens * _c.UpDim];
        _act = new T[_maxTokens * _c.HiddenDim];
        _scores = new T[Math.Max(1, PartitionedGemm.Degree)][];
        for (int i = 0; i < _scores.Length; i++)
            _scores[i] = new T[Math.Min(QueryBlock, maxSeqLen) * maxSeqLen];
        _logitRows = Math.Min(_maxTokens, LogitChunk);
        _logits = new T[_logitRows * _c.VocabSize];
        _logitsOut = new float[_c.VocabSize];
        _keyCache = new T[cachedLayers][];
        _valueCache = new T[cachedLayers][];
        for (int l = 0; l < cachedLayers; l++)
        {
            _keyCache[l] = new T[_maxTokens * _c.KvDim];
            _valueCache[l] = new T[_maxTokens * _c.KvDim];
        }
        _positions = new int[_maxTokens];
    }

    // Logits are produced this many rows at a time, bounding their buffer to LogitChunk · vocab.
    private const int LogitChunk = 256;

    // Queries are attended in blocks of this many rows: a block needs only the keys up to its last query,
    // so the causally masked half of q·kᵀ and of the value product is never computed.
    private const int QueryBlock = 64;

    /// <inheritdoc/>
    public string Backend => $"cpu (OpenBLAS, {(typeof(T) == typeof(double) ? "float64" : "float32")})";

    /// <inheritdoc/>
    public int MaxSeqLen { get; }

    /// <inheritdoc/>
    public int MaxBatch { get; }

    /// <inheritdoc/>
    public int Position { get; private set; }

    /// <inheritdoc/>
    public void Reset() => Position = 0;

    /// <inheritdoc/>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty)
            throw new ArgumentException("prefill needs at least one token", nameof(tokens));
        if (Position + tokens.Length > MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"{Position} + {tokens.Length} tokens exceed the session's {MaxSeqLen} positions");
        Forward(tokens, 1, tokens.Length, Position);
        Position += tokens.Length;
        ComputeLogits(tokens.Length - 1, 1);
        for (int i = 0; i < _logitsOut.Length; i++)
            _logitsOut[i] = float.CreateTruncating(_logits[i]);
        return _logitsOut;
    }

    /// <inheritdoc/>
    public ReadOnlySpan<float> Step(int token)
    {
        _stepToken[0] = token;
        return Prefill(_stepToken);
    }

    /// <inheritdoc/>
    public void RowNegLogLikelihoods(ReadOnlySpan<int> rows, int batch, int seqLen, Span<double> nllPerRow)
    {
        CheckRows(rows, batch, seqLen);
        Position = 0;
        Forward(rows, batch, seqLen, 0);
        int vocab = _c.VocabSize;
        for (int b = 0; b < batch; b++)
        {
            double sum = 0;
            for (int start = 0; start < seqLen - 1; start += _logitRows)
            {
                int count = Math.Min(_logitRows, seqLen - 1 - start);
                ComputeLogits(b * seqLen + start, count);
                for (int i = 0; i < count; i++)
                    sum += CpuOps<T>.NegLogLikelihood(_logits.AsSpan(i * vocab, vocab), rows[b * seqLen + start + i + 1]);
            }
            nllPerRow[b] = sum;
        }
    }

    /// <summary>
    /// Full logits of every position of <paramref name="batch"/> rows run from position 0, into
    /// <paramref name="logits"/> (batch · seqLen · vocab). Used by the exactness tests.
    /// </summary>
    public void Logits(ReadOnlySpan<int> rows, int batch, int seqLen, Span<T> logits)
    {
        CheckRows(rows, batch, seqLen);
        Position = 0;
        Forward(rows, batch, seqLen, 0);
        int vocab = _c.VocabSize;
        for (int start = 0; start < batch * seqLen; start += _logitRows)
        {
            int count = Math.Min(_logitRows, batch * seqLen - start);
            ComputeLogits(start, count);
            _logits.AsSpan(0, count * vocab).CopyTo(logits.Slice(start * vocab, count * vocab));
        }
    }

    private void SetPositions(int batch, int seqLen, int startPos)
    {
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < seqLen; t++)
                _positions[b * seqLen + t] = startPos + t;
    }

    private void CheckRows(ReadOnlySpan<int> rows, int batch, int seqLen)
    {
        if (batch < 1 || batch > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"the session holds 1..{MaxBatch} rows");
        if (seqLen < 2 || seqLen > MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(seqLen), seqLen, $"rows must have 2..{MaxSeqLen} tokens");
        if (rows.Length != batch * seqLen)
            throw new ArgumentException($"expected {batch}×{seqLen} = {batch * seqLen} tokens, got {rows.Length}", nameof(rows));
    }

    private void Forward(ReadOnlySpan<int> tokens, int batch, int seqLen, int startPos)
    {
        int n = batch * seqLen;
        SetPositions(batch, seqLen, startPos);
        Embed(tokens, n);
        for (int l = 0; l < _model.Layers.Length; l++)
        {
            var layer = _model.Layers[l];
            CpuOps<T>.Norm(layer.AttentionNorm, _x, _h, n, layer.DIn);
            Attention(l, layer, batch, seqLen, startPos);
            if (_c.Block == BlockKind.Parallel)
                ParallelResidual(layer, n);
            else
            {
                SequentialAttentionResidual(layer, n);
                CpuOps<T>.Norm(layer.MlpNorm!, _r, _h, n, layer.DMid);
                Mlp(layer, n);
                // y = h·S_mlp + MLP(N(h)), written back into the primary residual buffer.
                Shortcut(_r, layer.MlpShortcut, _x, n, layer.DMid);
                CpuOps<T>.Linear(layer.Down, _act, _x, n, accumulate: true);
            }
        }
        CpuOps<T>.Norm(_model.FinalNorm, _x, _h, n, _model.Head.InFeatures);
    }

    private void Embed(ReadOnlySpan<int> tokens, int n)
    {
        int width = _model.Embedding.Cols;
        for (int i = 0; i < n; i++)
        {
            int id = tokens[i];
            if ((uint)id >= (uint)_c.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), id, $"token ids must be below the vocabulary size {_c.VocabSize}");
            var dst = _x.AsSpan(i * width, width);
            _model.Embedding.Row(id).CopyTo(dst);
            if (_model.Positions is { } pos)
                System.Numerics.Tensors.TensorPrimitives.Add(dst, pos.Row(_positions[i] + _c.LearnedPositionOffset!.Value), dst);
        }
    }

    private void Attention(int l, TransformerLayer<T> layer, int batch, int seqLen, int startPos)
    {
        int n = batch * seqLen;
        int qDim = _c.QDim, kvDim = _c.KvDim, headDim = _c.HeadDim;
        CpuOps<T>.Linear(layer.Qkv, _h, _qkv, n);
        if (_rope is not null)
        {
            CpuOps<T>.Rope(_qkv, n, _qkvDim, 0, _c.NHeads, _rope, _positions);
            CpuOps<T>.Rope(_qkv, n, _qkvDim, qDim, _c.NKvHeads, _rope, _positions);
        }
        var kc = _keyCache[l];
        var vc = _valueCache[l];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < seqLen; t++)
            {
                var row = _qkv.AsSpan((b * seqLen + t) * _qkvDim, _qkvDim);
                int cacheRow = b * MaxSeqLen + startPos + t;
                row.Slice(qDim, kvDim).CopyTo(kc.AsSpan(cacheRow * kvDim, kvDim));
                row.Slice(qDim + kvDim, kvDim).CopyTo(vc.AsSpan(cacheRow * kvDim, kvDim));
            }
        }
        int pairs = batch * _c.NHeads;
        // Heads run in parallel only when there is enough work; a decode step stays on this thread.
        int workers = (long)seqLen * (startPos + seqLen) * headDim * pairs < (1L << 18) ? 1 : Math.Min(_scores.Length, pairs);
        if (workers == 1)
            AttendHeads(l, 0, pairs, batch, seqLen, startPos, _scores[0]);
        else
            AttendHeadsInParallel(l, workers, pairs, batch, seqLen, startPos);
    }

    // A separate method so that the lambda's closure is allocated only when heads really run in parallel (never in decode).
    private void AttendHeadsInParallel(int l, int workers, int pairs, int batch, int seqLen, int startPos) =>
        Parallel.For(0, workers, w => AttendHeads(l, pairs * w / workers, pairs * (w + 1) / workers, batch, seqLen, startPos, _scores[w]));

    // Softmax(q·kᵀ/√d)·v for the (row, head) pairs [first, end), with the causal mask over the cached keys.
    private void AttendHeads(int l, int first, int end, int batch, int seqLen, int startPos, T[] scoreBuffer)
    {
        int qDim = _c.QDim, kvDim = _c.KvDim, headDim = _c.HeadDim;
        var scale = T.One / T.Sqrt(T.CreateTruncating(headDim));
        int group = _c.NHeads / _c.NKvHeads;
        var kc = _keyCache[l];
        var vc = _valueCache[l];
        for (int pair = first; pair < end; pair++)
        {
            int b = pair / _c.NHeads, h = pair % _c.NHeads, kvHead = h / group;
            var q = _qkv.AsSpan((b * seqLen) * _qkvDim + h * headDim);
            var k = kc.AsSpan((b * MaxSeqLen) * kvDim + kvHead * headDim);
            var v = vc.AsSpan((b * MaxSeqLen) * kvDim + kvHead * headDim);
            var o = _att.AsSpan((b * seqLen) * qDim + h * headDim);
            for (int t0 = 0; t0 < seqLen; t0 += QueryBlock)
            {
                int rows = Math.Min(QueryBlock, seqLen - t0);
                int visibleKeys = startPos + t0 + rows;
                var scores = scoreBuffer.AsSpan(0, rows * visibleKeys);
                CpuBlas.Gemm(false, true, rows, visibleKeys, headDim, scale, q[(t0 * _qkvDim)..], _qkvDim, k, kvDim,
                    T.Zero, scores, visibleKeys);
                for (int t = 0; t < rows; t++)
                {
                    var row = scores.Slice(t * visibleKeys, visibleKeys);
                    int visible = startPos + t0 + t + 1; // causal: keys 0..position
                    CpuOps<T>.Softmax(row[..visible]);
                    row[visible..].Clear();
                }
                CpuBlas.Gemm(false, false, rows, headDim, visibleKeys, T.One, scores, visibleKeys, v, kvDim,
                    T.Zero, o[(t0 * qDim)..], qDim);
            }
        }
    }

    // Sequential: r = x·S_attn + Attn(N(x)), the mid-block residual.
    private void SequentialAttentionResidual(TransformerLayer<T> layer, int n)
    {
        Shortcut(_x, layer.AttentionShortcut, _r, n, layer.DIn);
        CpuOps<T>.Linear(layer.AttentionOut, _att, _r, n, accumulate: true);
    }

    // Parallel: y = x·S + Attn(N(x)) + MLP(N(x)); the norm output in _h is read by both branches.
    private void ParallelResidual(TransformerLayer<T> layer, int n)
    {
        Shortcut(_x, layer.AttentionShortcut, _r, n, layer.DIn);
        CpuOps<T>.Linear(layer.AttentionOut, _att, _r, n, accumulate: true);
        Mlp(layer, n);
        CpuOps<T>.Linear(layer.Down, _act, _r, n, accumulate: true);
        (_x, _r) = (_r, _x);
    }

    private void Mlp(TransformerLayer<T> layer, int n)
    {
        CpuOps<T>.Linear(layer.Up, _h, _up, n);
        int hidden = _c.HiddenDim;
        switch (_c.Activation)
        {
            case MlpActivation.SiluGated:
                CpuOps<T>.SiluMul(_up, _act, n, hidden);
                break;
            case MlpActivation.Relu:
                CpuOps<T>.Relu(_up.AsSpan(0, n * hidden));
                _up.AsSpan(0, n * hidden).CopyTo(_act);
                break;
            case MlpActivation.GeluNew:
                CpuOps<T>.GeluNew(_up.AsSpan(0, n * hidden));
                _up.AsSpan(0, n * hidden).CopyTo(_act);
                break;
        }
    }

    private static void Shortcut(T[] source, Matrix<T>? shortcut, T[] destination, int n, int width)
    {
        if (shortcut is null)
            source.AsSpan(0, n * width).CopyTo(destination);
        else
            CpuOps<T>.MatMul(source, shortcut, destination, n);
    }

    private void ComputeLogits(int firstRow, int count)
    {
        int width = _model.Head.InFeatures;
        CpuOps<T>.Linear(_model.Head, _h.AsSpan(firstRow * width, count * width), _logits, count);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
