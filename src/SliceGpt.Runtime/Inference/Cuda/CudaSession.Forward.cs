using SliceGpt.Kernels;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cuda;

// The forward pass, step for step CpuSession's: the same buffers (x, r, h, qkv, att, up, act), the same order of
// operations and the same residual algebra, so a difference between the two is a numerical one, never a
// semantic one. Everything is queued on _q; the caller binds the context and synchronises.
public sealed partial class CudaSession<T>
{
    private void UploadTokens(ReadOnlySpan<int> tokens) => _q.Upload(tokens, _b.Tokens.Slice(0, tokens.Length));

    private void UploadPositions(int batch, int seqLen, int startPos)
    {
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < seqLen; t++)
                _positionsHost[b * seqLen + t] = startPos + t;
        int n = batch * seqLen;
        _q.Upload(_positionsHost.AsSpan(0, n), _b.Positions.Slice(0, n));
    }

    // Runs every block over the tokens already in _b.Tokens and leaves the final norm's output in _b.H.
    private void Forward(int batch, int seqLen, int startPos)
    {
        int n = batch * seqLen;
        UploadPositions(batch, seqLen, startPos);
        Embed(n);
        var layers = _weights.Layers;
        for (int l = 0; l < layers.Length; l++)
        {
            var layer = layers[l];
            Norm(layer.AttentionNorm, _x, _b.H, n, layer.DIn);
            Attention(l, layer, batch, seqLen, startPos);
            if (_c.Block == BlockKind.Parallel)
                ParallelResidual(layer, n);
            else
            {
                SequentialAttentionResidual(layer, n);
                Norm(layer.MlpNorm!.Value, _r, _b.H, n, layer.DMid);
                var activation = Mlp(layer, n);
                // y = h·S_mlp + MLP(N(h)), written back into the primary residual buffer.
                Shortcut(_r, layer.MlpShortcut, _x, n, layer.DMid);
                Linear(layer.Down, activation, _x, n, accumulate: true);
            }
        }
        Norm(_weights.FinalNorm, _x, _b.H, n, _weights.Head.InFeatures);
    }

    private void Embed(int n) =>
        _q.Embed(_b.Tokens, _weights.Embedding, _x, n, _b.Positions, _weights.Positions, _c.LearnedPositionOffset ?? 0);

    // q, k, v of the norm output in _b.H; RoPE; keys and values into layer slot l of the cache; causal attention into _b.Att.
    private void Attention(int l, CudaLayer<T> layer, int batch, int seqLen, int startPos)
    {
        int n = batch * seqLen;
        Linear(layer.Qkv, _b.H, _b.Qkv, n);
        if (_c.Rope != RopeLayout.None)
            _q.Rope(_b.Qkv, _b.Positions, _b.Cos, _b.Sin, n, _c.NHeads, _c.NKvHeads, _c.HeadDim, _c.RotaryDim,
                _c.Rope == RopeLayout.Interleaved ? RopeStyle.Interleaved : RopeStyle.RotateHalf, MaxSeqLen);
        _q.KvAppend(_b.Qkv, _b.Positions, _b.KeyCache[l], _b.ValueCache[l], n, seqLen, _c.NHeads, _c.NKvHeads,
            _c.HeadDim, MaxBatch, MaxSeqLen);
        _q.Attend(_b.Qkv, _b.KeyCache[l], _b.ValueCache[l], _b.Positions, _b.Att, _b.Workspace, n, seqLen,
            _c.NHeads, _c.NKvHeads, _c.HeadDim, MaxBatch, MaxSeqLen, startPos + seqLen - 1);
    }

    // Sequential: r = x·S_attn + Attn(N(x)), the mid-block residual.
    private void SequentialAttentionResidual(CudaLayer<T> layer, int n)
    {
        Shortcut(_x, layer.AttentionShortcut, _r, n, layer.DIn);
        Linear(layer.AttentionOut, _b.Att, _r, n, accumulate: true);
    }

    // Parallel: y = x·S + Attn(N(x)) + MLP(N(x)); the norm output in _b.H is read by both branches.
    private void ParallelResidual(CudaLayer<T> layer, int n)
    {
        Shortcut(_x, layer.AttentionShortcut, _r, n, layer.DIn);
        Linear(layer.AttentionOut, _b.Att, _r, n, accumulate: true);
        var activation = Mlp(layer, n);
        Linear(layer.Down, activation, _r, n, accumulate: true);
        (_x, _r) = (_r, _x);
    }

    // The MLP's up projection and non-linearity on _b.H; returns the buffer the down projection reads.
    private DeviceMemory<T> Mlp(CudaLayer<T> layer, int n)
    {
        Linear(layer.Up, _b.H, _b.Up, n);
        long count = (long)n * _c.HiddenDim;
        switch (_c.Activation)
        {
            case MlpActivation.SiluGated:
                _q.SiluMul(_b.Up, _b.Act, n, _c.HiddenDim);
                return _b.Act;
            case MlpActivation.Relu:
                _q.Relu(_b.Up, count);
                return _b.Up;
            case MlpActivation.GeluNew:
                _q.GeluNew(_b.Up, count);
                return _b.Up;
            default:
                throw new NotSupportedException($"MLP activation {_c.Activation}");
        }
    }

    // Y = X·Wᵀ (+= when accumulating), then + b: the bias after the GEMM, as CpuOps.Linear adds it.
    private void Linear(CudaLinear<T> linear, DeviceMemory<T> x, DeviceMemory<T> y, int rows, bool accumulate = false)
    {
        _q.Linear(x, linear.Weight, y, rows, linear.InFeatures, linear.OutFeatures, accumulate);
        if (!linear.Bias.IsNull)
            _q.AddBias(y, linear.Bias, rows, linear.OutFeatures);
    }

    // destination = source·S (a sliced model's shortcut), or a copy when S is the identity.
    private void Shortcut(DeviceMemory<T> source, CudaMatrix<T> shortcut, DeviceMemory<T> destination, int n, int width)
    {
        if (shortcut.IsIdentity)
        {
            long count = (long)n * width;
            _q.Copy(source.Slice(0, count), destination.Slice(0, count));
        }
        else
            _q.MatMul(source, shortcut.Rows, shortcut.Data, shortcut.Cols, destination, shortcut.Cols, n, shortcut.Cols, shortcut.Rows);
    }

    private void Norm(CudaNorm<T> norm, DeviceMemory<T> x, DeviceMemory<T> y, int rows, int width)
    {
        if (norm.Kind == NormKind.RmsNorm)
            _q.RmsNorm(x, y, norm.Weight, rows, width, norm.Eps, norm.MeanDim);
        else
            _q.LayerNorm(x, y, norm.Weight, norm.Bias, rows, width, norm.Eps);
    }

    // fp32 logits of rows [firstRow, firstRow + count) of the final norm's output, into _b.Logits.
    private void ComputeLogits(int firstRow, int count)
    {
        var head = _weights.Head;
        int width = head.InFeatures;
        _q.LinearToFloat(_b.H.Slice((long)firstRow * width, (long)count * width), head.Weight, _b.Logits,
            count, width, head.OutFeatures);
        if (!_weights.HeadBias.IsNull)
            _q.AddBias(_b.Logits, _weights.HeadBias, count, head.OutFeatures);
    }

    // Each row's summed NLL into _b.RowSums[0, batch). Logits go in chunks over the flat rows 0..n−2 (a row's
    // target is the next token, so targets are the uploaded tokens shifted by one); the last position of each
    // sequence gets a meaningless NLL (its "target" starts the next sequence) that the sum leaves out: the sums
    // are Nll viewed as [batch, seqLen − 1] with row stride seqLen, times a vector of ones.
    private void SumRowNegLogLikelihoods(int batch, int seqLen)
    {
        int n = batch * seqLen, predicted = n - 1, vocab = _c.VocabSize;
        for (int first = 0; first < predicted; first += _b.LogitRows)
        {
            int count = Math.Min(_b.LogitRows, predicted - first);
            ComputeLogits(first, count);
            _q.NegLogLikelihood(_b.Logits, _b.Tokens.Slice(first + 1, count), _b.Nll.Slice(first, count), count, vocab);
        }
        _q.MatMul(_b.Nll, seqLen, _b.Ones, 1, _b.RowSums, 1, batch, 1, seqLen - 1);
    }
}
