using System.Numerics;
using SliceGpt.Native.Cpu;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// The float64 products of the rotation arithmetic, on row-major arrays. <c>Q</c> is always D×D with the
/// basis vectors as columns, so <c>Q[:, :d]</c> is the leading d columns (leading dimension D).
/// </summary>
internal static class DoubleMatrix
{
    public static double[] From<T>(Matrix<T> m) where T : unmanaged, IBinaryFloatingPointIeee754<T> => Vector(m.Data);

    public static double[] Vector<T>(ReadOnlySpan<T> v) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var result = new double[v.Length];
        for (int i = 0; i < result.Length; i++)
            result[i] = double.CreateTruncating(v[i]);
        return result;
    }

    public static Matrix<T> ToMatrix<T>(int rows, int cols, double[] data) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        new(rows, cols, ToVector<T>(data));

    public static T[] ToVector<T>(double[] data) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var result = new T[data.Length];
        for (int i = 0; i < result.Length; i++)
            result[i] = T.CreateTruncating(data[i]);
        return result;
    }

    /// <summary>(W·Q)[:, :d] for W [rows, D]: rotates a linear's input side and slices its columns.</summary>
    public static double[] RotateInputs(this IRotationMath math, double[] w, int rows, int dim, double[] q, int d) =>
        math.Multiply(false, false, rows, d, dim, w, dim, q, dim);

    /// <summary>(Qᵀ·W)[:d, :] for W [D, cols]: rotates a linear's output side and slices its rows.</summary>
    public static double[] RotateOutputs(this IRotationMath math, double[] q, int dim, int d, double[] w, int cols) =>
        math.Multiply(true, false, d, cols, dim, q, dim, w, cols);

    /// <summary>Q_a[:, :da]ᵀ·Q_b[:, :db]: the shortcut carrying the residual from basis a into basis b.</summary>
    public static double[] Shortcut(this IRotationMath math, double[] qa, int da, double[] qb, int db, int dim) =>
        math.Multiply(true, false, da, db, dim, qa, dim, qb, dim);

    /// <summary>Q[:, :d]ᵀ as a [d, D] matrix: maps a sliced residual back to the original basis (calibration only).</summary>
    public static double[] LeadingColumnsTransposed(double[] q, int dim, int d)
    {
        var result = new double[d * dim];
        for (int r = 0; r < dim; r++)
            for (int c = 0; c < d; c++)
                result[c * dim + r] = q[r * dim + c];
        return result;
    }
}

/// <summary>The rotation arithmetic on the CPU: OpenBLAS dgemm.</summary>
internal sealed class CpuRotationMath : IRotationMath
{
    public static CpuRotationMath Instance { get; } = new();

    public double[] Multiply(bool transA, bool transB, int m, int n, int k, double[] a, int lda, double[] b, int ldb)
    {
        var result = new double[(long)m * n];
        CpuBlas.Gemm(transA, transB, m, n, k, 1.0, a, lda, b, ldb, 0.0, result, n);
        return result;
    }
}
