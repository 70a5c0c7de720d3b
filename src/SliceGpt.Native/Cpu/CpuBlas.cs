using System.Runtime.CompilerServices;

namespace SliceGpt.Native.Cpu;

/// <summary>
/// Shape-checked row-major GEMM and SYRK over OpenBLAS. Every matrix is a dense row-major span;
/// the leading dimension is the row length of the stored matrix.
/// </summary>
/// <remarks>
/// OpenBLAS is kept single-threaded: callers partition large products across cores themselves, which is
/// faster for the many small products of attention, makes concurrent calls from several inference sessions
/// safe, and keeps the thread count under the application's control.
/// </remarks>
public static unsafe class CpuBlas
{
    // Lazy caches a load failure, so every later call rethrows the same clear BlasUnavailableException.
    private static readonly Lazy<bool> Initialized = new(() =>
    {
        CpuMathLibraries.EnsureLoaded();
        OpenBlas.SetNumThreads(1);
        return true;
    });

    /// <summary>Loads OpenBLAS and LAPACKE now; throws <see cref="BlasUnavailableException"/> if either is missing.</summary>
    public static void EnsureAvailable() => _ = Initialized.Value;

    /// <summary>C = alpha·op(A)·op(B) + beta·C for float or double, with op(A) m×k, op(B) k×n, C m×n.</summary>
    public static void Gemm<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged
    {
        EnsureAvailable();
        CheckOperand("A", a.Length, transA ? k : m, transA ? m : k, lda);
        CheckOperand("B", b.Length, transB ? n : k, transB ? k : n, ldb);
        CheckOperand("C", c.Length, m, n, ldc);
        if (m == 0 || n == 0)
            return;
        int ta = transA ? OpenBlas.Trans : OpenBlas.NoTrans;
        int tb = transB ? OpenBlas.Trans : OpenBlas.NoTrans;
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            if (typeof(T) == typeof(float))
                OpenBlas.Sgemm(OpenBlas.RowMajor, ta, tb, m, n, k, Unsafe.BitCast<T, float>(alpha), (float*)pa, lda,
                    (float*)pb, ldb, Unsafe.BitCast<T, float>(beta), (float*)pc, ldc);
            else if (typeof(T) == typeof(double))
                OpenBlas.Dgemm(OpenBlas.RowMajor, ta, tb, m, n, k, Unsafe.BitCast<T, double>(alpha), (double*)pa, lda,
                    (double*)pb, ldb, Unsafe.BitCast<T, double>(beta), (double*)pc, ldc);
            else
                throw new NotSupportedException($"GEMM supports float and double, not {typeof(T).Name}");
        }
    }

    /// <summary>
    /// C ← alpha·AᵀA + beta·C on the upper triangle of the n×n matrix C, with A k×n (row-major, k rows of n).
    /// This is the covariance accumulation of the PCA: each row of A is one token's signal.
    /// </summary>
    public static void SyrkTransposedUpper(int n, int k, double alpha, ReadOnlySpan<double> a, int lda,
        double beta, Span<double> c, int ldc)
    {
        EnsureAvailable();
        CheckOperand("A", a.Length, k, n, lda);
        CheckOperand("C", c.Length, n, n, ldc);
        if (n == 0 || k == 0)
            return;
        fixed (double* pa = a)
        fixed (double* pc = c)
            OpenBlas.Dsyrk(OpenBlas.RowMajor, OpenBlas.Upper, OpenBlas.Trans, n, k, alpha, pa, lda, beta, pc, ldc);
    }

    private static void CheckOperand(string name, int length, int rows, int cols, int ld)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentException($"matrix {name}: negative dimension {rows}×{cols}");
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"matrix {name}: leading dimension {ld} is smaller than its {cols} columns");
        long needed = rows == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"matrix {name}: {rows}×{cols} with leading dimension {ld} needs {needed} elements, the span has {length}");
    }
}
