using System.Numerics;
using System.Numerics.Tensors;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cpu;

/// <summary>
/// The reference implementation of every non-GEMM operation of the forward pass, on row-major
/// [rows, width] activations. The CUDA kernels are tested against these.
/// </summary>
public static class CpuOps<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>y = x / sqrt(Σx²/meanDim + eps) · γ per row; meanDim may exceed the width (sliced models).</summary>
    public static void RmsNorm(ReadOnlySpan<T> x, Span<T> y, int rows, int width, ReadOnlySpan<T> weight, double eps, int meanDim)
    {
        var epsT = T.CreateTruncating(eps);
        var meanDimT = T.CreateTruncating(meanDim);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * width, width);
            var yr = y.Slice(r * width, width);
            var scale = T.One / T.Sqrt(TensorPrimitives.SumOfSquares(xr) / meanDimT + epsT);
            TensorPrimitives.Multiply(xr, scale, yr);
            if (!weight.IsEmpty)
                TensorPrimitives.Multiply(yr, weight, yr);
        }
    }

    /// <summary>y = (x − mean) / sqrt(var + eps) · γ + β per row (biased variance, as PyTorch).</summary>
    public static void LayerNorm(ReadOnlySpan<T> x, Span<T> y, int rows, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, double eps)
    {
        var epsT = T.CreateTruncating(eps);
        var n = T.CreateTruncating(width);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * width, width);
            var yr = y.Slice(r * width, width);
            var mean = TensorPrimitives.Sum(xr) / n;
            TensorPrimitives.Subtract(xr, mean, yr);
            var scale = T.One / T.Sqrt(TensorPrimitives.SumOfSquares(yr) / n + epsT);
            TensorPrimitives.Multiply(yr, scale, yr);
            if (!weight.IsEmpty)
                TensorPrimitives.Multiply(yr, weight, yr);
            if (!bias.IsEmpty)
                TensorPrimitives.Add(yr, bias, yr);
        }
    }

    /// <summary>Applies <paramref name="norm"/> to rows of width <paramref name="width"/>.</summary>
    public static void Norm(Norm<T> norm, ReadOnlySpan<T> x, Span<T> y, int rows, int width)
    {
        if (norm.Kind == NormKind.RmsNorm)
            RmsNorm(x, y, rows, width, norm.Weight, norm.Eps, norm.MeanDim);
        else
            LayerNorm(x, y, rows, width, norm.Weight, norm.Bias, norm.Eps);
    }

    /// <summary>
    /// Rotates, in place, <paramref name="nHeads"/> heads that start at column <paramref name="column"/> of
    /// each row (row stride <paramref name="stride"/>), row r at position positions[r].
    /// </summary>
    public static void Rope(Span<T> buffer, int rows, int stride, int column, int nHeads, RopeTable<T> table,
        ReadOnlySpan<int> positions)
    {
        int half = table.RotaryDim / 2;
        for (int r = 0; r < rows; r++)
        {
            var cos = table.Cos(positions[r]);
            var sin = table.Sin(positions[r]);
            for (int h = 0; h < nHeads; h++)
            {
                var head = buffer.Slice(r * stride + column + h * table.HeadDim, table.HeadDim);
                for (int i = 0; i < half; i++)
                {
                    int a = table.Layout == RopeLayout.Interleaved ? 2 * i : i;
                    int b = table.Layout == RopeLayout.Interleaved ? 2 * i + 1 : i + half;
                    T x0 = head[a], x1 = head[b];
                    head[a] = x0 * cos[i] - x1 * sin[i];
                    head[b] = x0 * sin[i] + x1 * cos[i];
                }
            }
        }
    }

    /// <summary>y[r, :] += bias for every row.</summary>
    public static void AddBias(Span<T> y, int rows, int width, ReadOnlySpan<T> bias)
    {
        for (int r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * width, width);
            TensorPrimitives.Add(yr, bias, yr);
        }
    }

    /// <summary>Y[rows, out] = X[rows, in]·Wᵀ + b, or += when <paramref name="accumulate"/>.</summary>
    public static void Linear(Linear<T> linear, ReadOnlySpan<T> x, Span<T> y, int rows, bool accumulate = false)
    {
        int n = linear.OutFeatures, k = linear.InFeatures;
        PartitionedGemm.Gemm(true, rows, n, k, T.One, x[..(rows * k)], k, linear.Weight.Span, k,
            accumulate ? T.One : T.Zero, y[..(rows * n)], n);
        if (linear.Bias is not null)
            AddBias(y, rows, n, linear.Bias);
    }

    /// <summary>Y[rows, cols] = X[rows, inner]·M[inner, cols] (a shortcut matrix), or += when accumulating.</summary>
    public static void MatMul(ReadOnlySpan<T> x, Matrix<T> m, Span<T> y, int rows, bool accumulate = false) =>
        PartitionedGemm.Gemm(false, rows, m.Cols, m.Rows, T.One, x[..(rows * m.Rows)], m.Rows, m.Span, m.Cols,
            accumulate ? T.One : T.Zero, y[..(rows * m.Cols)], m.Cols);

    /// <summary>out[r, j] = silu(gu[r, j]) · gu[r, hidden + j] on a fused [rows, 2·hidden] gate|up buffer.</summary>
    public static void SiluMul(ReadOnlySpan<T> gateUp, Span<T> output, int rows, int hidden)
    {
        for (int r = 0; r < rows; r++)
        {
            var g = gateUp.Slice(r * 2 * hidden, hidden);
            var u = gateUp.Slice(r * 2 * hidden + hidden, hidden);
            var o = output.Slice(r * hidden, hidden);
            for (int j = 0; j < hidden; j++)
                o[j] = g[j] / (T.One + T.Exp(-g[j])) * u[j];
        }
    }

    /// <summary>gelu_new (tanh approximation), in place.</summary>
    public static void GeluNew(Span<T> x)
    {
        var c = T.CreateTruncating(Math.Sqrt(2.0 / Math.PI));
        var k = T.CreateTruncating(0.044715);
        var half = T.CreateTruncating(0.5);
        for (int i = 0; i < x.Length; i++)
        {
            var v = x[i];
            x[i] = half * v * (T.One + T.Tanh(c * (v + k * v * v * v)));
        }
    }

    /// <summary>max(x, 0), in place.</summary>
    public static void Relu(Span<T> x) => TensorPrimitives.Max(x, T.Zero, x);

    /// <summary>Numerically stable softmax of one row, in place.</summary>
    public static void Softmax(Span<T> row)
    {
        var max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        var sum = TensorPrimitives.Sum(row);
        TensorPrimitives.Divide(row, sum, row);
    }

    /// <summary>The index of the largest value, the lowest on ties; NaN never wins.</summary>
    public static int ArgMax(ReadOnlySpan<T> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best] || T.IsNaN(values[best]))
                best = i;
        return best;
    }

    /// <summary>−log softmax(logits)[target], accumulated in double.</summary>
    public static double NegLogLikelihood(ReadOnlySpan<T> logits, int target)
    {
        double max = double.CreateTruncating(TensorPrimitives.Max(logits));
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
            sum += Math.Exp(double.CreateTruncating(logits[i]) - max);
        return max + Math.Log(sum) - double.CreateTruncating(logits[target]);
    }
}
