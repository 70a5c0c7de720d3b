using SliceGpt.Kernels;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Forward;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>
/// The GPU's forward operations: cuBLAS products and the engine's kernels, queued on one session's stream (its
/// <see cref="IGpuQueue{T}"/>) over the session's buffers. Nothing here binds the context or synchronises, except
/// the calls that return results to the host; the session does both around each call.
/// </summary>
internal sealed class CudaForwardOps<T> : IForwardDevice<CudaLayer<T>> where T : unmanaged
{
    private readonly ModelConfig _c;
    private readonly CudaModelWeights<T> _weights;
    private readonly IGpuQueue<T> _q;
    private readonly SessionBuffers<T> _b;
    private readonly KvBlockTable _kv;
    private readonly int _maxSeqLen, _qkvDim;
    private readonly int[] _hostInts;      // (maxTokens) staging of positions and targets
    private readonly double[] _hostDoubles; // (maxTokens) log-probabilities read back

    /// <exception cref="NotSupportedException">A paged cache (blocks shorter than a slot): the kernels address one block per slot.</exception>
    public CudaForwardOps(ModelConfig config, CudaModelWeights<T> weights, IGpuQueue<T> queue, SessionBuffers<T> buffers,
        SessionOptions options, KvBlockTable kvBlocks)
    {
        if (kvBlocks.BlockSize != options.MaxSeqLen)
            throw new NotSupportedException($"the CUDA kernels address one KV block per slot: the block size must be the slot length {options.MaxSeqLen}, not {kvBlocks.BlockSize}");
        _c = config;
        _weights = weights;
        _q = queue;
        _b = buffers;
        _kv = kvBlocks;
        _maxSeqLen = options.MaxSeqLen;
        _qkvDim = config.QDim + 2 * config.KvDim;
        _hostInts = new int[options.TokensPerPass];
        _hostDoubles = new double[_hostInts.Length];
    }

    /// <summary>The device buffer behind an activation, [maxTokens, width of the role].</summary>
    public DeviceMemory<T> Buffer(Activation activation) => activation switch
    {
        Activation.ResidualA => _b.X,
        Activation.ResidualB => _b.R,
        Activation.Normed => _b.H,
        Activation.Qkv => _b.Qkv,
        Activation.Attention => _b.Att,
        Activation.Up => _b.Up,
        Activation.Gated => _b.Act,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    public void Stage(ReadOnlySpan<int> tokens, BatchLayout batch)
    {
        if (!tokens.IsEmpty)
            _q.Upload(tokens, _b.Tokens.Slice(0, tokens.Length));
        var positions = batch.Positions;
        positions.CopyTo(_hostInts);
        _q.Upload(_hostInts.AsSpan(0, positions.Length), _b.Positions.Slice(0, positions.Length));
    }

    public void Embed(Activation output, int rows) =>
        _q.Embed(_b.Tokens, _weights.Embedding, Buffer(output), rows, _b.Positions, _weights.Positions, _c.LearnedPositionOffset ?? 0);

    public void Norm(CudaLayer<T> layer, NormSite site, Activation x, Activation y, int rows, int width) =>
        Norm(site == NormSite.Attention ? layer.AttentionNorm : layer.MlpNorm!.Value, Buffer(x), Buffer(y), rows, width);

    public void FinalNorm(Activation x, Activation y, int rows, int width) => Norm(_weights.FinalNorm, Buffer(x), Buffer(y), rows, width);

    // Y = X·Wᵀ (+= when accumulating), then + b: the bias after the GEMM, as CpuOps.Linear adds it.
    public void Linear(CudaLayer<T> layer, LinearSite site, Activation x, Activation y, int rows, bool accumulate)
    {
        var linear = site switch
        {
            LinearSite.Qkv => layer.Qkv,
            LinearSite.AttentionOut => layer.AttentionOut,
            LinearSite.Up => layer.Up,
            _ => layer.Down,
        };
        var output = Buffer(y);
        _q.Linear(Buffer(x), linear.Weight, output, rows, linear.InFeatures, linear.OutFeatures, accumulate);
        if (!linear.Bias.IsNull)
            _q.AddBias(output, linear.Bias, rows, linear.OutFeatures);
    }

    public void Shortcut(CudaLayer<T> layer, ShortcutSite site, Activation x, Activation y, int rows)
    {
        var shortcut = site == ShortcutSite.Attention ? layer.AttentionShortcut : layer.MlpShortcut;
        if (shortcut.IsIdentity)
            throw new InvalidOperationException($"the {site} shortcut is the identity: its branch accumulates in place");
        _q.MatMul(Buffer(x), shortcut.Rows, shortcut.Data, shortcut.Cols, Buffer(y), shortcut.Cols, rows, shortcut.Cols, shortcut.Rows);
    }

    public Activation Activate(int rows)
    {
        long count = (long)rows * _c.HiddenDim;
        switch (_c.Activation)
        {
            case MlpActivation.SiluGated:
                _q.SiluMul(_b.Up, _b.Act, rows, _c.HiddenDim);
                return Activation.Gated;
            case MlpActivation.Relu:
                _q.Relu(_b.Up, count);
                return Activation.Up;
            case MlpActivation.GeluNew:
                _q.GeluNew(_b.Up, count);
                return Activation.Up;
            default:
                throw new NotSupportedException($"MLP activation {_c.Activation}");
        }
    }

    // RoPE on every row at once (each row carries its position); then, when chunk i is slot i, holds block i, and all
    // chunks are equally long, one KV append and one attention launch for the whole pass (row r belongs to block
    // r / length); otherwise one pair per chunk, on views of its rows and of its slot's block.
    public void Attention(int cacheLayer, BatchLayout batch)
    {
        int n = batch.Tokens, qDim = _c.QDim, kvDim = _c.KvDim;
        if (_c.Rope != RopeLayout.None)
            _q.Rope(_b.Qkv, _b.Positions, _b.Cos, _b.Sin, n, _c.NHeads, _c.NKvHeads, _c.HeadDim, _c.RotaryDim,
                _c.Rope == RopeLayout.Interleaved ? RopeStyle.Interleaved : RopeStyle.RotateHalf, _maxSeqLen);
        var keys = _b.KeyCache[cacheLayer];
        var values = _b.ValueCache[cacheLayer];
        if (InBlockOrder(batch))
        {
            int seqLen = batch[0].Count;
            _q.KvAppend(_b.Qkv, _b.Positions, keys, values, n, seqLen, _c.NHeads, _c.NKvHeads, _c.HeadDim, _kv.Blocks, _maxSeqLen);
            _q.Attend(_b.Qkv, keys, values, _b.Positions, _b.Att, _b.Workspace, n, seqLen, _c.NHeads, _c.NKvHeads, _c.HeadDim,
                _kv.Blocks, _maxSeqLen, batch.MaxEnd - 1);
            return;
        }
        long slotLength = (long)_maxSeqLen * kvDim;
        for (int i = 0; i < batch.Count; i++)
        {
            var chunk = batch[i];
            int first = batch.FirstRow(i);
            var qkv = _b.Qkv.Slice((long)first * _qkvDim, (long)chunk.Count * _qkvDim);
            var positions = _b.Positions.Slice(first, chunk.Count);
            long block = _kv.BlockOf(chunk.Slot, 0);
            var slotKeys = keys.Slice(block * slotLength, slotLength);
            var slotValues = values.Slice(block * slotLength, slotLength);
            _q.KvAppend(qkv, positions, slotKeys, slotValues, chunk.Count, chunk.Count, _c.NHeads, _c.NKvHeads, _c.HeadDim, 1, _maxSeqLen);
            _q.Attend(qkv, slotKeys, slotValues, positions, _b.Att.Slice((long)first * qDim, (long)chunk.Count * qDim), _b.Workspace,
                chunk.Count, chunk.Count, _c.NHeads, _c.NKvHeads, _c.HeadDim, 1, _maxSeqLen, chunk.End - 1);
        }
    }

    private bool InBlockOrder(BatchLayout batch)
    {
        if (!batch.IsUniform)
            return false;
        for (int i = 0; i < batch.Count; i++)
            if (_kv.BlockOf(i, 0) != i)
                return false;
        return true;
    }

    /// <summary>fp32 logits of <paramref name="count"/> rows of <paramref name="rows"/> (final-norm outputs) into the logit buffer.</summary>
    public void HeadRows(DeviceMemory<T> rows, int count)
    {
        var head = _weights.Head;
        _q.LinearToFloat(rows.Slice(0, (long)count * head.InFeatures), head.Weight, _b.Logits, count, head.InFeatures, head.OutFeatures);
        if (!_weights.HeadBias.IsNull)
            _q.AddBias(_b.Logits, _weights.HeadBias, count, head.OutFeatures);
    }

    /// <summary>Rows [first, first + count) of the final norm's output.</summary>
    public DeviceMemory<T> NormedRows(int first, int count)
    {
        int width = _weights.Head.InFeatures;
        return _b.H.Slice((long)first * width, (long)count * width);
    }

    public void LastLogits(BatchLayout batch, Span<float> logits)
    {
        int vocab = _c.VocabSize, width = _weights.Head.InFeatures;
        bool lastRowsOnly = batch.Tokens == batch.Count; // every chunk is one token: the rows are the last rows
        for (int first = 0; first < batch.Count; first += _b.LogitRows)
        {
            int count = Math.Min(_b.LogitRows, batch.Count - first);
            DeviceMemory<T> rows;
            if (lastRowsOnly)
                rows = NormedRows(first, count);
            else
            {
                // The residual buffers are free once the final norm has run: gather each chunk's last row there.
                rows = _b.X.Slice(0, (long)count * width);
                for (int i = 0; i < count; i++)
                    _q.Copy(NormedRows(batch.LastRow(first + i), 1), rows.Slice((long)i * width, width));
            }
            HeadRows(rows, count);
            _q.Download(_b.Logits.Slice(0, (long)count * vocab), logits.Slice(first * vocab, count * vocab));
        }
        _q.Synchronize();
    }

    // The staged token ids are no longer needed once the pass has run: the targets take their place, and the positions'
    // buffer receives the argmax ids when they are asked for.
    public void TargetLogProbs(BatchLayout batch, ReadOnlySpan<int> targets, Span<double> logProbs, Span<int> greedy)
    {
        int n = batch.Tokens, vocab = _c.VocabSize;
        // Unscored rows score target 0; their results are discarded below.
        for (int r = 0; r < n; r++)
            _hostInts[r] = Math.Max(0, targets[r]);
        _q.Upload(_hostInts.AsSpan(0, n), _b.Tokens.Slice(0, n));
        for (int first = 0; first < n; first += _b.LogitRows)
        {
            int count = Math.Min(_b.LogitRows, n - first);
            HeadRows(NormedRows(first, count), count);
            _q.NegLogLikelihood(_b.Logits, _b.Tokens.Slice(first, count), _b.Nll.Slice(first, count), count, vocab);
            if (!greedy.IsEmpty)
                _q.ArgMax(_b.Logits, _b.Positions.Slice(first, count), count, vocab);
        }
        _q.Download(_b.Nll.Slice(0, n), _hostDoubles.AsSpan(0, n));
        if (!greedy.IsEmpty)
            _q.Download(_b.Positions.Slice(0, n), greedy[..n]);
        _q.Synchronize();
        for (int r = 0; r < n; r++)
            logProbs[r] = targets[r] < 0 ? 0 : -_hostDoubles[r];
    }

    // Logits go in chunks over the flat rows 0..n−2 (a row's target is the next token, so targets are the staged tokens
    // shifted by one); the last position of each sequence gets a meaningless NLL (its "target" starts the next sequence)
    // that the sum leaves out: the sums are Nll viewed as [batch, seqLen − 1] with row stride seqLen, times a vector of ones.
    public void RowNegLogLikelihoods(int batch, int seqLen, Span<double> nllPerRow)
    {
        int n = batch * seqLen, predicted = n - 1, vocab = _c.VocabSize;
        for (int first = 0; first < predicted; first += _b.LogitRows)
        {
            int count = Math.Min(_b.LogitRows, predicted - first);
            HeadRows(NormedRows(first, count), count);
            _q.NegLogLikelihood(_b.Logits, _b.Tokens.Slice(first + 1, count), _b.Nll.Slice(first, count), count, vocab);
        }
        _q.MatMul(_b.Nll, seqLen, _b.Ones, 1, _b.RowSums, 1, batch, 1, seqLen - 1);
        _q.Download(_b.RowSums.Slice(0, batch), nllPerRow[..batch]);
        _q.Synchronize();
    }

    public void CopyBlock(int source, int target)
    {
        long length = (long)_kv.BlockSize * _c.KvDim;
        for (int l = 0; l < _b.KeyCache.Length; l++)
        {
            _q.Copy(_b.KeyCache[l].Slice(source * length, length), _b.KeyCache[l].Slice(target * length, length));
            _q.Copy(_b.ValueCache[l].Slice(source * length, length), _b.ValueCache[l].Slice(target * length, length));
        }
    }

    private void Norm(CudaNorm<T> norm, DeviceMemory<T> x, DeviceMemory<T> y, int rows, int width)
    {
        if (norm.Kind == NormKind.RmsNorm)
            _q.RmsNorm(x, y, norm.Weight, rows, width, norm.Eps, norm.MeanDim);
        else
            _q.LayerNorm(x, y, norm.Weight, norm.Bias, rows, width, norm.Eps);
    }
}
