using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu;

/// <summary>
/// The correctness check each case runs once in its setup: a few entries of the GPU's output against a host fp64 dot
/// product of the same fp16 or bf16 inputs; for 2:4, of the host's pruned weight, i.e. the dense product of the pruned weights,
/// which also checks, on those entries, that cuSPARSELt's compressed weight holds the host's pattern.
/// </summary>
internal static class GemmCheck
{
    /// <summary>Output entries compared per case: the two corners and pseudo-random ones between.</summary>
    public const int Samples = 16;

    // |y − ref| ≤ Atol + Rtol·|ref|. The inputs are the same fp16/bf16 values on both sides, so the only differences are
    // the GPU's fp32 accumulation and its final rounding to the storage type. Outputs have std ≈ 1/3 (GemmWorkload's scaling).
    // Rtol: twice the output's rounding (fp16 at most 2^-11 relative, so 2^-10; bf16 2^-8, so 2^-7).
    // Atol 1e-3: the fp32 accumulation over K ≤ 43776 terms of unit-scale partial sums errs by about √K·2^-24 ≈ 1e-5;
    // 1e-3 leaves a hundredfold margin yet fails a product accumulated in fp16 (about √K·2^-11·|y| ≈ 3e-2) or any wrong
    // indexing or layout (errors of the size of |y| itself). bf16 keeps the same Atol: its coarser
    // output rounding is relative, covered by its Rtol.
    private const double Atol = 1e-3;
    private const double Rtol = 1.0 / 1024, RtolBf16 = 1.0 / 128;

    /// <summary>Throws <see cref="InvalidOperationException"/> naming the entry when an output differs.</summary>
    /// <param name="c">The case.</param>
    /// <param name="x">The activations uploaded, row-major (rows, in); only the first <see cref="GemmCase.Tokens"/> rows are checked.</param>
    /// <param name="w">The weight as generated: (out, in), already 2:4-pruned for a sparse case, or (in, out) for a shortcut.</param>
    /// <param name="readOutput">Reads Y's element at a row-major index from the GPU.</param>
    public static void Verify<T>(GemmCase c, T[] x, T[] w, Func<long, double> readOutput) where T : unmanaged
    {
        bool bf16 = c.Precision == GemmPrecision.Bf16;
        double rtol = bf16 ? RtolBf16 : Rtol;
        var rng = new Random(12345);
        for (int s = 0; s < Samples; s++)
        {
            int row = s switch { 0 => 0, 1 => c.Tokens - 1, _ => rng.Next(c.Tokens) };
            int col = s switch { 0 => 0, 1 => c.OutFeatures - 1, _ => rng.Next(c.OutFeatures) };
            double expected = Reference(c, x, w, row, col);
            double actual = readOutput((long)row * c.OutFeatures + col);
            double allowed = Atol + rtol * Math.Abs(expected);
            if (!(Math.Abs(actual - expected) <= allowed))
                throw new InvalidOperationException(
                    $"{c.Id} ({c.Shape}): Y[{row}, {col}] = {actual:G6} on the GPU but {expected:G6} in fp64 " +
                    $"(allowed ±{allowed:G3}); not timing a product that computes something else");
        }
    }

    private static double Reference<T>(GemmCase c, T[] x, T[] w, int row, int col) where T : unmanaged
    {
        double sum = 0;
        long xBase = (long)row * c.InFeatures;
        for (int k = 0; k < c.InFeatures; k++)
        {
            long wIndex = c.IsShortcut ? (long)k * c.OutFeatures + col : (long)col * c.InFeatures + k;
            sum += HostData.ToDouble(x[xBase + k]) * HostData.ToDouble(w[wIndex]);
        }
        return sum;
    }
}
