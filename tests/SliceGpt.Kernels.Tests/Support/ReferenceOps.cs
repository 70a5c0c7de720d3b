namespace SliceGpt.Kernels.Tests.Support;

/// <summary>
/// Straightforward double-precision references with the semantics of SliceGpt.Runtime's CpuOps/CpuSession
/// (which the Runtime project exposes once it builds in this branch; until then they are restated here,
/// loop by loop). Inputs are the values the kernel reads, i.e. already rounded to the storage type.
/// </summary>
internal static class ReferenceOps
{
    internal static double[] RmsNorm(float[] x, int rows, int width, float[]? weight, double eps, int meanDim)
    {
        var y = new double[rows * width];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int j = 0; j < width; j++)
                sum += (double)x[r * width + j] * x[r * width + j];
            double scale = 1 / Math.Sqrt(sum / meanDim + eps);
            for (int j = 0; j < width; j++)
                y[r * width + j] = x[r * width + j] * scale * (weight?[j] ?? 1.0);
        }
        return y;
    }

    internal static double[] LayerNorm(float[] x, int rows, int width, float[]? weight, float[]? bias, double eps)
    {
        var y = new double[rows * width];
        for (int r = 0; r < rows; r++)
        {
            double mean = 0;
            for (int j = 0; j < width; j++)
                mean += x[r * width + j];
            mean /= width;
            double variance = 0;
            for (int j = 0; j < width; j++)
                variance += (x[r * width + j] - mean) * (x[r * width + j] - mean);
            double scale = 1 / Math.Sqrt(variance / width + eps);
            for (int j = 0; j < width; j++)
                y[r * width + j] = (x[r * width + j] - mean) * scale * (weight?[j] ?? 1.0) + (bias?[j] ?? 0.0);
        }
        return y;
    }

    /// <summary>CpuOps.Rope applied to the query heads and then the key heads of each qkv row.</summary>
    internal static double[] Rope(float[] qkv, int rows, int nHeads, int nKvHeads, int headDim, int rotaryDim,
        bool interleaved, int[] positions, float[] cos, float[] sin)
    {
        int stride = (nHeads + 2 * nKvHeads) * headDim, half = rotaryDim / 2;
        var y = TestData.ToDouble(qkv);
        for (int r = 0; r < rows; r++)
        {
            for (int h = 0; h < nHeads + nKvHeads; h++)
            {
                int head = r * stride + h * headDim;
                for (int i = 0; i < half; i++)
                {
                    int a = head + (interleaved ? 2 * i : i), b = head + (interleaved ? 2 * i + 1 : i + half);
                    double c = cos[positions[r] * half + i], s = sin[positions[r] * half + i];
                    double x0 = qkv[a], x1 = qkv[b];
                    y[a] = x0 * c - x1 * s;
                    y[b] = x0 * s + x1 * c;
                }
            }
        }
        return y;
    }

    /// <summary>CpuSession's cache append: row r of sequence r / seqLen goes to cache row b·maxSeq + positions[r].</summary>
    internal static void KvAppend(float[] qkv, int rows, int seqLen, int qDim, int kvDim, int[] positions,
        float[] keyCache, float[] valueCache, int maxSeq)
    {
        int stride = qDim + 2 * kvDim;
        for (int r = 0; r < rows; r++)
        {
            int cacheRow = r / seqLen * maxSeq + positions[r];
            Array.Copy(qkv, r * stride + qDim, keyCache, cacheRow * kvDim, kvDim);
            Array.Copy(qkv, r * stride + qDim + kvDim, valueCache, cacheRow * kvDim, kvDim);
        }
    }

    /// <summary>CpuSession.AttendHeads: softmax(q·kᵀ/√d) over cache rows 0..position, times v, with GQA.</summary>
    internal static double[] Attention(float[] qkv, float[] keyCache, float[] valueCache, int[] positions, int rows,
        int seqLen, int nHeads, int nKvHeads, int headDim, int maxSeq)
    {
        int qDim = nHeads * headDim, kvDim = nKvHeads * headDim, stride = qDim + 2 * kvDim, group = nHeads / nKvHeads;
        double scale = 1 / Math.Sqrt(headDim);
        var output = new double[rows * qDim];
        for (int r = 0; r < rows; r++)
        {
            int b = r / seqLen, visible = positions[r] + 1;
            for (int h = 0; h < nHeads; h++)
            {
                int kvHead = h / group;
                var scores = new double[visible];
                for (int j = 0; j < visible; j++)
                {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++)
                        dot += (double)qkv[r * stride + h * headDim + d] * keyCache[(b * maxSeq + j) * kvDim + kvHead * headDim + d];
                    scores[j] = dot * scale;
                }
                double max = scores.Max(), sum = 0;
                for (int j = 0; j < visible; j++)
                    sum += scores[j] = Math.Exp(scores[j] - max);
                for (int d = 0; d < headDim; d++)
                {
                    double o = 0;
                    for (int j = 0; j < visible; j++)
                        o += scores[j] / sum * valueCache[(b * maxSeq + j) * kvDim + kvHead * headDim + d];
                    output[r * qDim + h * headDim + d] = o;
                }
            }
        }
        return output;
    }

    internal static double[] SiluMul(float[] gateUp, int rows, int hidden)
    {
        var y = new double[rows * hidden];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < hidden; j++)
            {
                double g = gateUp[r * 2 * hidden + j], u = gateUp[r * 2 * hidden + hidden + j];
                y[r * hidden + j] = g / (1 + Math.Exp(-g)) * u;
            }
        }
        return y;
    }

    internal static double[] GeluNew(float[] x) =>
        x.Select(v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))).ToArray();

    internal static double[] Relu(float[] x) => x.Select(v => float.IsNaN(v) ? double.NaN : Math.Max(v, 0.0)).ToArray();

    /// <summary>CpuOps.NegLogLikelihood: max + log Σ exp(x − max) − x[target], in double.</summary>
    internal static double NegLogLikelihood(ReadOnlySpan<float> logits, int target)
    {
        double max = double.NegativeInfinity;
        foreach (var v in logits)
            max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in logits)
            sum += Math.Exp(v - max);
        return max + Math.Log(sum) - logits[target];
    }

    /// <summary>Sampler.ArgMax: the first index of the largest value.</summary>
    internal static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
                best = i;
        }
        return best;
    }
}
