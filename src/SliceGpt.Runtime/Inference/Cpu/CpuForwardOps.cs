using System.Numerics;
using SliceGpt.Native.Cpu;
using SliceGpt.Runtime.Inference.Forward;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cpu;

/// <summary>
/// The CPU's forward operations: OpenBLAS GEMMs and <see cref="CpuOps{T}"/> on host arrays. Every activation buffer
/// and the KV cache are allocated in the constructor (llama2.c's malloc_run_state); a pass allocates no managed memory
/// unless a product or the attention is large enough to be spread over the cores.
/// </summary>
internal sealed class CpuForwardOps<T> : IForwardDevice<TransformerLayer<T>> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    // Logits are produced this many rows at a time, bounding their buffer to LogitChunk · vocab.
    private const int LogitChunk = 256;

    // Queries are attended in blocks of this many rows: a block needs only the keys up to its last query,
    // so the causally masked half of q·kᵀ and of the value product is never computed.
    private const int QueryBlock = 64;

    private readonly TransformerModel<T> _model;
    private readonly ModelConfig _c;
    private readonly RopeTable<T>? _rope;
    private readonly int _qkvDim;
    private readonly int _logitRows;

    private readonly T[] _a;                 // (maxTokens, maxWidth) residual stream, one of two
    private readonly T[] _b;                 // (maxTokens, maxWidth) residual stream, the other
    private readonly T[] _h;                 // (maxTokens, maxWidth) norm output
    private readonly T[] _qkv;               // (maxTokens, qDim + 2·kvDim)
    private readonly T[] _att;               // (maxTokens, qDim)
    private readonly T[] _up;                // (maxTokens, upDim)
    private readonly T[] _act;               // (maxTokens, hiddenDim)
    private readonly T[][] _scores;          // (workers) × (QueryBlock, maxSeqLen) attention of one block of queries each
    private readonly T[] _logits;            // (logitRows, vocab)
    private readonly T[] _gathered;          // (min(maxBatch, logitRows), head width) the last rows of ragged chunks
    private readonly T[][] _keyCache;        // (cachedLayers) × (blocks, blockSize, kvDim)
    private readonly T[][] _valueCache;      // (cachedLayers) × (blocks, blockSize, kvDim)
    private readonly KvBlockTable _kv;       // each slot's blocks
    private readonly int[] _tokens;          // (maxTokens) the staged ids
    private BatchLayout? _batch;             // the staged layout: each row's chunk and position

    public CpuForwardOps(TransformerModel<T> model, SessionOptions options, KvBlockTable kvBlocks, int cachedLayers)
    {
        _model = model;
        _c = model.Config;
        _kv = kvBlocks;
        int maxSeqLen = options.MaxSeqLen, maxBatch = options.MaxBatch;
        int maxTokens = options.TokensPerPass;
        MaxWidth = model.Layers.Select(l => Math.Max(l.DIn, Math.Max(l.DMid, l.DOut))).DefaultIfEmpty(model.Embedding.Cols).Max();
        _qkvDim = _c.QDim + 2 * _c.KvDim;
        _rope = _c.Rope == RopeLayout.None ? null : new RopeTable<T>(_c, maxSeqLen);
        _a = new T[maxTokens * MaxWidth];
        _b = new T[maxTokens * MaxWidth];
        _h = new T[maxTokens * MaxWidth];
        _qkv = new T[maxTokens * _qkvDim];
        _att = new T[maxTokens * _c.QDim];
        _up = new T[maxTokens * _c.UpDim];
        _act = new T[maxTokens * _c.HiddenDim];
        _scores = new T[Math.Max(1, PartitionedGemm.Degree)][];
        for (int i = 0; i < _scores.Length; i++)
            _scores[i] = new T[Math.Min(QueryBlock, maxSeqLen) * maxSeqLen];
        _logitRows = Math.Min(maxTokens, LogitChunk);
        _logits = new T[_logitRows * _c.VocabSize];
        _gathered = new T[Math.Min(maxBatch, _logitRows) * model.Head.InFeatures];
        _keyCache = new T[cachedLayers][];
        _valueCache = new T[cachedLayers][];
        long cacheLength = (long)kvBlocks.Blocks * kvBlocks.BlockSize * _c.KvDim;
        for (int l = 0; l < cachedLayers; l++)
        {
            _keyCache[l] = new T[cacheLength];
            _valueCache[l] = new T[cacheLength];
        }
        _tokens = new int[maxTokens];
    }

    /// <summary>The widest residual of the (possibly sliced) model.</summary>
    public int MaxWidth { get; }

    /// <summary>Rows of logits computed at a time.</summary>
    public int LogitRows => _logitRows;

    /// <summary>The logits of the last <see cref="HeadRows"/> call, [rows, vocab].</summary>
    public ReadOnlySpan<T> Logits => _logits;

    /// <summary>The host array behind an activation, [maxTokens, width of the role].</summary>
    public T[] Buffer(Activation activation) => activation switch
    {
        Activation.ResidualA => _a,
        Activation.ResidualB => _b,
        Activation.Normed => _h,
        Activation.Qkv => _qkv,
        Activation.Attention => _att,
        Activation.Up => _up,
        Activation.Gated => _act,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    public void Stage(ReadOnlySpan<int> tokens, BatchLayout batch)
    {
        tokens.CopyTo(_tokens);
        _batch = batch;
    }

    public void Embed(Activation output, int rows)
    {
        int width = _model.Embedding.Cols;
        var x = Buffer(output);
        var positions = Staged.Positions;
        for (int i = 0; i < rows; i++)
        {
            var dst = x.AsSpan(i * width, width);
            _model.Embedding.Row(_tokens[i]).CopyTo(dst);
            if (_model.Positions is { } table)
                System.Numerics.Tensors.TensorPrimitives.Add(dst, table.Row(positions[i] + _c.LearnedPositionOffset!.Value), dst);
        }
    }

    public void Norm(TransformerLayer<T> layer, NormSite site, Activation x, Activation y, int rows, int width) =>
        CpuOps<T>.Norm(site == NormSite.Attention ? layer.AttentionNorm : layer.MlpNorm!, Buffer(x), Buffer(y), rows, width);

    public void FinalNorm(Activation x, Activation y, int rows, int width) => CpuOps<T>.Norm(_model.FinalNorm, Buffer(x), Buffer(y), rows, width);

    public void Linear(TransformerLayer<T> layer, LinearSite site, Activation x, Activation y, int rows, bool accumulate)
    {
        var linear = site switch
        {
            LinearSite.Qkv => layer.Qkv,
            LinearSite.AttentionOut => layer.AttentionOut,
            LinearSite.Up => layer.Up,
            _ => layer.Down,
        };
        CpuOps<T>.Linear(linear, Buffer(x), Buffer(y), rows, accumulate);
    }

    public void Shortcut(TransformerLayer<T> layer, ShortcutSite site, Activation x, Activation y, int rows)
    {
        var shortcut = (site == ShortcutSite.Attention ? layer.AttentionShortcut : layer.MlpShortcut)
            ?? throw new InvalidOperationException($"the {site} shortcut is the identity: its branch accumulates in place");
        CpuOps<T>.MatMul(Buffer(x), shortcut, Buffer(y), rows);
    }

    public Activation Activate(int rows)
    {
        int hidden = _c.HiddenDim;
        switch (_c.Activation)
        {
            case MlpActivation.SiluGated:
                CpuOps<T>.SiluMul(_up, _act, rows, hidden);
                return Activation.Gated;
            case MlpActivation.Relu:
                CpuOps<T>.Relu(_up.AsSpan(0, rows * hidden));
                return Activation.Up;
            case MlpActivation.GeluNew:
                CpuOps<T>.GeluNew(_up.AsSpan(0, rows * hidden));
                return Activation.Up;
            default:
                throw new NotSupportedException($"MLP activation {_c.Activation}");
        }
    }

    public void Attention(int cacheLayer, BatchLayout batch)
    {
        int n = batch.Tokens, qDim = _c.QDim, kvDim = _c.KvDim, headDim = _c.HeadDim;
        if (_rope is not null)
        {
            CpuOps<T>.Rope(_qkv, n, _qkvDim, 0, _c.NHeads, _rope, batch.Positions);
            CpuOps<T>.Rope(_qkv, n, _qkvDim, qDim, _c.NKvHeads, _rope, batch.Positions);
        }
        var kc = _keyCache[cacheLayer];
        var vc = _valueCache[cacheLayer];
        long work = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            var chunk = batch[i];
            for (int t = 0; t < chunk.Count; t++)
            {
                var row = _qkv.AsSpan((batch.FirstRow(i) + t) * _qkvDim, _qkvDim);
                int cacheRow = CacheRow(chunk.Slot, chunk.Start + t);
                row.Slice(qDim, kvDim).CopyTo(kc.AsSpan(cacheRow * kvDim, kvDim));
                row.Slice(qDim + kvDim, kvDim).CopyTo(vc.AsSpan(cacheRow * kvDim, kvDim));
            }
            work += (long)chunk.Count * chunk.End;
        }
        int pairs = batch.Count * _c.NHeads;
        // Heads run in parallel only when there is enough work; a decode step of a small model stays on this thread.
        int workers = work * headDim * _c.NHeads < (1L << 18) ? 1 : Math.Min(_scores.Length, pairs);
        if (workers == 1)
            AttendHeads(cacheLayer, batch, 0, pairs, _scores[0]);
        else
            AttendHeadsInParallel(cacheLayer, batch, workers, pairs);
    }

    // A separate method so that the lambda's closure is allocated only when heads really run in parallel.
    private void AttendHeadsInParallel(int cacheLayer, BatchLayout batch, int workers, int pairs) =>
        Parallel.For(0, workers, w => AttendHeads(cacheLayer, batch, pairs * w / workers, pairs * (w + 1) / workers, _scores[w]));

    // Softmax(q·kᵀ/√d)·v for the (chunk, head) pairs [first, end), with the causal mask over the slot's cached keys,
    // which lie in the slot's KV blocks: the score columns of a block are one product, its values another.
    private void AttendHeads(int cacheLayer, BatchLayout batch, int first, int end, T[] scoreBuffer)
    {
        int qDim = _c.QDim, kvDim = _c.KvDim, headDim = _c.HeadDim, blockSize = _kv.BlockSize;
        var scale = T.One / T.Sqrt(T.CreateTruncating(headDim));
        int group = _c.NHeads / _c.NKvHeads;
        var kc = _keyCache[cacheLayer];
        var vc = _valueCache[cacheLayer];
        for (int pair = first; pair < end; pair++)
        {
            int i = pair / _c.NHeads, h = pair % _c.NHeads, kvHead = h / group;
            var chunk = batch[i];
            int firstRow = batch.FirstRow(i);
            var q = _qkv.AsSpan(firstRow * _qkvDim + h * headDim);
            var o = _att.AsSpan(firstRow * qDim + h * headDim);
            for (int t0 = 0; t0 < chunk.Count; t0 += QueryBlock)
            {
                int rows = Math.Min(QueryBlock, chunk.Count - t0);
                int visibleKeys = chunk.Start + t0 + rows;
                var scores = scoreBuffer.AsSpan(0, rows * visibleKeys);
                for (int key0 = 0; key0 < visibleKeys; key0 += blockSize)
                {
                    int keys = Math.Min(blockSize, visibleKeys - key0);
                    var k = kc.AsSpan(CacheRow(chunk.Slot, key0) * kvDim + kvHead * headDim);
                    CpuBlas.Gemm(false, true, rows, keys, headDim, scale, q[(t0 * _qkvDim)..], _qkvDim, k, kvDim,
                        T.Zero, scores[key0..], visibleKeys);
                }
                for (int t = 0; t < rows; t++)
                {
                    var row = scores.Slice(t * visibleKeys, visibleKeys);
                    int visible = chunk.Start + t0 + t + 1; // causal: keys 0..position
                    CpuOps<T>.Softmax(row[..visible]);
                    row[visible..].Clear();
                }
                for (int key0 = 0; key0 < visibleKeys; key0 += blockSize)
                {
                    int keys = Math.Min(blockSize, visibleKeys - key0);
                    var v = vc.AsSpan(CacheRow(chunk.Slot, key0) * kvDim + kvHead * headDim);
                    CpuBlas.Gemm(false, false, rows, headDim, keys, T.One, scores[key0..], visibleKeys, v, kvDim,
                        key0 == 0 ? T.Zero : T.One, o[(t0 * qDim)..], qDim);
                }
            }
        }
    }

    // The cache row of a slot's position: its block's first row plus the offset in the block.
    private int CacheRow(int slot, int position) => _kv.BlockOf(slot, position) * _kv.BlockSize + position % _kv.BlockSize;

    /// <summary>Logits of rows [firstRow, firstRow + count) of the final norm's output into <see cref="Logits"/> (count ≤ <see cref="LogitRows"/>).</summary>
    public void HeadRows(int firstRow, int count)
    {
        int width = _model.Head.InFeatures;
        CpuOps<T>.Linear(_model.Head, _h.AsSpan(firstRow * width, count * width), _logits, count);
    }

    public void LastLogits(BatchLayout batch, Span<float> logits)
    {
        int vocab = _c.VocabSize, width = _model.Head.InFeatures;
        int perCall = _gathered.Length / width;
        for (int first = 0; first < batch.Count; first += perCall)
        {
            int count = Math.Min(perCall, batch.Count - first);
            // Each chunk's last row, gathered so that the head is one product for the whole batch.
            for (int i = 0; i < count; i++)
                _h.AsSpan(batch.LastRow(first + i) * width, width).CopyTo(_gathered.AsSpan(i * width, width));
            CpuOps<T>.Linear(_model.Head, _gathered.AsSpan(0, count * width), _logits, count);
            var target = logits.Slice(first * vocab, count * vocab);
            for (int j = 0; j < target.Length; j++)
                target[j] = float.CreateTruncating(_logits[j]);
        }
    }

    public void TargetLogProbs(BatchLayout batch, ReadOnlySpan<int> targets, Span<double> logProbs, Span<int> greedy)
    {
        int vocab = _c.VocabSize, n = batch.Tokens;
        for (int first = 0; first < n; first += _logitRows)
        {
            int count = Math.Min(_logitRows, n - first);
            HeadRows(first, count);
            for (int i = 0; i < count; i++)
            {
                int target = targets[first + i];
                var row = _logits.AsSpan(i * vocab, vocab);
                logProbs[first + i] = target < 0 ? 0 : -CpuOps<T>.NegLogLikelihood(row, target);
                if (!greedy.IsEmpty)
                    greedy[first + i] = CpuOps<T>.ArgMax(row);
            }
        }
    }

    public void RowNegLogLikelihoods(int batch, int seqLen, Span<double> nllPerRow)
    {
        int vocab = _c.VocabSize;
        for (int b = 0; b < batch; b++)
        {
            double sum = 0;
            for (int start = 0; start < seqLen - 1; start += _logitRows)
            {
                int count = Math.Min(_logitRows, seqLen - 1 - start);
                HeadRows(b * seqLen + start, count);
                for (int i = 0; i < count; i++)
                    sum += CpuOps<T>.NegLogLikelihood(_logits.AsSpan(i * vocab, vocab), _tokens[b * seqLen + start + i + 1]);
            }
            nllPerRow[b] = sum;
        }
    }

    public void CopyBlock(int source, int target)
    {
        long length = (long)_kv.BlockSize * _c.KvDim;
        for (int l = 0; l < _keyCache.Length; l++)
        {
            Array.Copy(_keyCache[l], source * length, _keyCache[l], target * length, length);
            Array.Copy(_valueCache[l], source * length, _valueCache[l], target * length, length);
        }
    }

    private BatchLayout Staged => _batch ?? throw new InvalidOperationException("no batch has been staged");
}
