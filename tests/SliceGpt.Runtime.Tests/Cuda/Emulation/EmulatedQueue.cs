using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using SliceGpt.Kernels;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Cuda;

namespace SliceGpt.Runtime.Tests.Cuda.Emulation;

/// <summary>
/// Each launcher's and BLAS call's documented semantics, done in C# on host memory in the order they are
/// queued (fp32 arithmetic on T storage, as the kernels; GEMM sums in float as cuBLAS's fp32 accumulation). Every
/// call makes the launcher's extent checks and, beyond them, checks that every view lies inside a live
/// allocation and that no row's position exceeds the host's maxPosition. Allocates nothing per call.
/// </summary>
internal sealed unsafe partial class EmulatedQueue<T>(EmulatedGpu gpu) : IGpuQueue<T> where T : unmanaged
{
    private bool _disposed;
    private float[] _scores = [];

    public CudaStream? Stream => null;

    public void Embed(DeviceMemory<int> tokens, CudaMatrix<T> table, DeviceMemory<T> output, int rows,
        DeviceMemory<int> positions, CudaMatrix<T> positionTable, int positionOffset)
    {
        int dim = table.Cols;
        Need(tokens, rows, "embedding: tokens");
        Need(table.Data, (long)table.Rows * dim, "embedding: table");
        Need(output, (long)rows * dim, "embedding: output");
        bool learned = !positionTable.Data.IsNull;
        if (learned)
        {
            Need(positions, rows, "embedding: positions");
            Need(positionTable.Data, (long)positionTable.Rows * dim, "embedding: positionTable");
        }
        for (int r = 0; r < rows; r++)
        {
            int id = I(tokens)[r];
            int p = learned ? I(positions)[r] + positionOffset : 0;
            bool bad = (uint)id >= (uint)table.Rows || (learned && (uint)p >= (uint)positionTable.Rows);
            for (int j = 0; j < dim; j++)
            {
                float v = bad ? float.NaN : Ld(table.Data, (long)id * dim + j) + (learned ? Ld(positionTable.Data, (long)p * dim + j) : 0f);
                St(output, (long)r * dim + j, v);
            }
        }
    }

    public void RmsNorm(DeviceMemory<T> x, DeviceMemory<T> y, DeviceMemory<T> weight, int rows, int width, float eps, int meanDim)
    {
        NormChecks(x, y, weight, rows, width);
        if (meanDim < width)
            throw new ArgumentOutOfRangeException(nameof(meanDim));
        for (int r = 0; r < rows; r++)
        {
            float sum = 0;
            for (int j = 0; j < width; j++)
                sum += Ld(x, (long)r * width + j) * Ld(x, (long)r * width + j);
            float scale = 1f / MathF.Sqrt(sum / meanDim + eps);
            for (int j = 0; j < width; j++)
                St(y, (long)r * width + j, Ld(x, (long)r * width + j) * scale * (weight.IsNull ? 1f : Ld(weight, j)));
        }
    }

    public void LayerNorm(DeviceMemory<T> x, DeviceMemory<T> y, DeviceMemory<T> weight, DeviceMemory<T> bias, int rows, int width, float eps)
    {
        NormChecks(x, y, weight, rows, width);
        if (!bias.IsNull)
            Need(bias, width, "layernorm: bias");
        for (int r = 0; r < rows; r++)
        {
            float mean = 0, variance = 0;
            for (int j = 0; j < width; j++)
                mean += Ld(x, (long)r * width + j);
            mean /= width;
            for (int j = 0; j < width; j++)
                variance += (Ld(x, (long)r * width + j) - mean) * (Ld(x, (long)r * width + j) - mean);
            float scale = 1f / MathF.Sqrt(variance / width + eps);
            for (int j = 0; j < width; j++)
                St(y, (long)r * width + j, (Ld(x, (long)r * width + j) - mean) * scale * (weight.IsNull ? 1f : Ld(weight, j)) + (bias.IsNull ? 0f : Ld(bias, j)));
        }
    }

    public void Rope(DeviceMemory<T> qkv, DeviceMemory<int> positions, DeviceMemory<float> cos, DeviceMemory<float> sin, int rows,
        int nHeads, int nKvHeads, int headDim, int rotaryDim, RopeStyle style, int maxPositions)
    {
        int half = rotaryDim / 2, stride = (nHeads + 2 * nKvHeads) * headDim;
        Need(qkv, (long)rows * stride, "rope: qkv");
        Need(positions, rows, "rope: positions");
        Need(cos, (long)maxPositions * half, "rope: cos");
        Need(sin, (long)maxPositions * half, "rope: sin");
        for (int r = 0; r < rows; r++)
        {
            int p = I(positions)[r];
            bool bad = (uint)p >= (uint)maxPositions;
            for (int head = 0; head < nHeads + nKvHeads; head++)
                for (int i = 0; i < half; i++)
                {
                    long at = (long)r * stride + head * headDim;
                    long i0 = at + (style == RopeStyle.Interleaved ? 2 * i : i), i1 = at + (style == RopeStyle.Interleaved ? 2 * i + 1 : i + half);
                    float c = bad ? float.NaN : F(cos)[(long)p * half + i], s = bad ? float.NaN : F(sin)[(long)p * half + i];
                    float x0 = Ld(qkv, i0), x1 = Ld(qkv, i1);
                    St(qkv, i0, x0 * c - x1 * s);
                    St(qkv, i1, x0 * s + x1 * c);
                }
        }
    }

    public void KvAppend(DeviceMemory<T> qkv, DeviceMemory<int> positions, DeviceMemory<T> keyCache, DeviceMemory<T> valueCache,
        int rows, int seqLen, int nHeads, int nKvHeads, int headDim, int batch, int maxSeq)
    {
        int qDim = nHeads * headDim, kvDim = nKvHeads * headDim, stride = qDim + 2 * kvDim;
        if (rows % seqLen != 0 || rows / seqLen > batch)
            throw new ArgumentException("kv_append: rows are not whole sequences of the cache");
        Need(qkv, (long)rows * stride, "kv_append: qkv");
        Need(positions, rows, "kv_append: positions");
        Need(keyCache, (long)batch * maxSeq * kvDim, "kv_append: keyCache");
        Need(valueCache, (long)batch * maxSeq * kvDim, "kv_append: valueCache");
        for (int r = 0; r < rows; r++)
        {
            int p = I(positions)[r];
            if ((uint)p >= (uint)maxSeq)
                continue;
            long cacheRow = (long)(r / seqLen) * maxSeq + p;
            for (int j = 0; j < kvDim; j++)
            {
                P(keyCache)[cacheRow * kvDim + j] = P(qkv)[(long)r * stride + qDim + j];
                P(valueCache)[cacheRow * kvDim + j] = P(qkv)[(long)r * stride + qDim + kvDim + j];
            }
        }
    }

    public void Attend(DeviceMemory<T> qkv, DeviceMemory<T> keyCache, DeviceMemory<T> valueCache, DeviceMemory<int> positions,
        DeviceMemory<T> output, DeviceMemory<float> workspace, int rows, int seqLen, int nHeads, int nKvHeads, int headDim,
        int batch, int maxSeq, int maxPosition)
    {
        int qDim = nHeads * headDim, kvDim = nKvHeads * headDim, stride = qDim + 2 * kvDim, group = nHeads / nKvHeads;
        if (rows % seqLen != 0 || rows / seqLen > batch || maxPosition < 0 || maxPosition >= maxSeq || headDim > AttentionKernels.MaxHeadDim)
            throw new ArgumentException("attention: bad shape");
        Need(qkv, (long)rows * stride, "attention: qkv");
        Need(keyCache, (long)batch * maxSeq * kvDim, "attention: keyCache");
        Need(valueCache, (long)batch * maxSeq * kvDim, "attention: valueCache");
        Need(positions, rows, "attention: positions");
        Need(output, (long)rows * qDim, "attention: output");
        if (!workspace.IsNull)
            Need(workspace, workspace.Length, "attention: workspace");
        float scale = 1f / MathF.Sqrt(headDim);
        if (_scores.Length < maxSeq)
            _scores = new float[maxSeq];   // grows once per session shape, never per step
        for (int r = 0; r < rows; r++)
        {
            int p = I(positions)[r];
            if (p > maxPosition)
                throw new InvalidOperationException("attention: a row's position exceeds the maxPosition the host passed");
            long sequence = (long)(r / seqLen) * maxSeq * kvDim;
            for (int h = 0; h < nHeads; h++)
            {
                long q = (long)r * stride + h * headDim, kv = sequence + (h / group) * headDim;
                bool bad = (uint)p >= (uint)maxSeq;
                int visible = bad ? 0 : p + 1;
                float max = float.NegativeInfinity, sum = 0;
                for (int j = 0; j < visible; j++)
                    max = MathF.Max(max, _scores[j] = Score(qkv, q, keyCache, kv + (long)j * kvDim, headDim) * scale);
                for (int j = 0; j < visible; j++)
                    sum += _scores[j] = MathF.Exp(_scores[j] - max);
                for (int d = 0; d < headDim; d++)
                {
                    float o = 0;
                    for (int j = 0; j < visible; j++)
                        o += _scores[j] * Ld(valueCache, kv + (long)j * kvDim + d);
                    St(output, (long)r * qDim + h * headDim + d, bad ? float.NaN : o / sum);
                }
            }
        }
    }

    public void SiluMul(DeviceMemory<T> gateUp, DeviceMemory<T> output, int rows, int hidden)
    {
        Need(gateUp, 2L * rows * hidden, "silu_mul: gateUp");
        Need(output, (long)rows * hidden, "silu_mul: output");
        for (long r = 0; r < rows; r++)
            for (long j = 0; j < hidden; j++)
            {
                float g = Ld(gateUp, r * 2 * hidden + j), u = Ld(gateUp, r * 2 * hidden + hidden + j);
                St(output, r * hidden + j, g / (1f + MathF.Exp(-g)) * u);
            }
    }

    public void Relu(DeviceMemory<T> x, long count)
    {
        Need(x, count, "relu: x");
        for (long i = 0; i < count; i++)
            St(x, i, Ld(x, i) > 0 || float.IsNaN(Ld(x, i)) ? Ld(x, i) : 0f);
    }

    public void GeluNew(DeviceMemory<T> x, long count)
    {
        Need(x, count, "gelu_new: x");
        for (long i = 0; i < count; i++)
        {
            float v = Ld(x, i);
            St(x, i, 0.5f * v * (1f + MathF.Tanh(0.7978845608028654f * (v + 0.044715f * v * v * v))));
        }
    }

    private float Score(DeviceMemory<T> qkv, long q, DeviceMemory<T> keys, long k, int headDim)
    {
        float dot = 0;
        for (int d = 0; d < headDim; d++)
            dot += Ld(qkv, q + d) * Ld(keys, k + d);
        return dot;
    }

    private static float Dot(DeviceMemory<T> x, long xAt, DeviceMemory<T> w, long wAt, int count)
    {
        if (typeof(T) == typeof(float))
            return TensorPrimitives.Dot(new ReadOnlySpan<float>((float*)x.Address + xAt, count), new ReadOnlySpan<float>((float*)w.Address + wAt, count));
        float sum = 0;
        for (int i = 0; i < count; i++)
            sum += Ld(x, xAt + i) * Ld(w, wAt + i);
        return sum;
    }

    private void NormChecks(DeviceMemory<T> x, DeviceMemory<T> y, DeviceMemory<T> weight, int rows, int width)
    {
        Need(x, (long)rows * width, "norm: x");
        Need(y, (long)rows * width, "norm: y");
        if (!weight.IsNull)
            Need(weight, width, "norm: weight");
    }

    private void LinearChecks(DeviceMemory<T> x, DeviceMemory<T> weight, int rows, int inFeatures, int outFeatures)
    {
        Need(x, (long)rows * inFeatures, "linear: x");
        Need(weight, (long)outFeatures * inFeatures, "linear: weight");
    }

    private void MatMulChecks<TE>(DeviceMemory<TE> a, int lda, DeviceMemory<TE> b, int ldb, DeviceMemory<TE> c, int ldc, int m, int n, int k)
        where TE : unmanaged
    {
        if (lda < k || ldb < n || ldc < n)
            throw new ArgumentException("gemm: a leading dimension is below its row length");
        Need(a, (long)lda * (m - 1) + k, "gemm: A");
        Need(b, (long)ldb * (k - 1) + n, "gemm: B");
        Need(c, (long)ldc * (m - 1) + n, "gemm: C");
    }
}
