using System.Numerics;
using SliceGpt.Native.Cpu;

namespace SliceGpt.Runtime.Inference.Cpu;

/// <summary>
/// Spreads one GEMM over the cores by splitting its output into row blocks (many rows) or column blocks
/// (few rows, e.g. decode), each computed by a single-threaded OpenBLAS call. Every output element is
/// computed by exactly one call, so the result does not depend on thread timing.
/// </summary>
internal static unsafe class PartitionedGemm
{
    // Below this many multiply-adds a product runs on the calling thread: splitting costs more than it saves,
    // and decode steps stay free of the allocations Parallel.For makes.
    private const long SerialThreshold = 1L << 20;

    /// <summary>How many blocks large products are split into.</summary>
    public static int Degree { get; set; } = Environment.ProcessorCount;

    /// <summary>C[m, n] = alpha·A[m, k]·op(B) + beta·C, with B stored [n, k] when <paramref name="transB"/>, else [k, n].</summary>
    public static void Gemm<T>(bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        long work = (long)m * n * k;
        int parts = work < SerialThreshold ? 1 : Math.Max(1, Degree);
        bool byRows = m >= parts * 16;
        if (!byRows)
            parts = Math.Min(parts, Math.Max(1, n / 64));
        if (parts == 1)
        {
            CpuBlas.Gemm(false, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
            GemmInParallel(new Operands<T>(transB, m, n, k, alpha, (nint)pa, a.Length, lda, (nint)pb, b.Length, ldb, beta,
                (nint)pc, c.Length, ldc), parts, byRows);
    }

    // The arguments of one partitioned product, pinned, as a value the workers share.
    private readonly record struct Operands<T>(bool TransB, int M, int N, int K, T Alpha, nint A, int ALength, int Lda,
        nint B, int BLength, int Ldb, T Beta, nint C, int CLength, int Ldc) where T : unmanaged;

    // A separate method so that the workers' closure is allocated only when the product really is split: a decode step's
    // small products stay allocation-free.
    private static void GemmInParallel<T>(Operands<T> o, int parts, bool byRows) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Parallel.For(0, parts, part =>
        {
            int size = byRows ? o.M : o.N;
            int begin = (int)((long)size * part / parts), end = (int)((long)size * (part + 1) / parts);
            if (begin == end)
                return;
            if (byRows)
            {
                CpuBlas.Gemm(false, o.TransB, end - begin, o.N, o.K, o.Alpha,
                    Tail((T*)o.A, o.ALength, (long)begin * o.Lda), o.Lda, new ReadOnlySpan<T>((T*)o.B, o.BLength), o.Ldb, o.Beta,
                    Tail((T*)o.C, o.CLength, (long)begin * o.Ldc), o.Ldc);
            }
            else
            {
                long bOffset = o.TransB ? (long)begin * o.Ldb : begin;
                CpuBlas.Gemm(false, o.TransB, o.M, end - begin, o.K, o.Alpha, new ReadOnlySpan<T>((T*)o.A, o.ALength), o.Lda,
                    Tail((T*)o.B, o.BLength, bOffset), o.Ldb, o.Beta, Tail((T*)o.C, o.CLength, begin), o.Ldc);
            }
        });

    private static Span<T> Tail<T>(T* start, int length, long offset) where T : unmanaged =>
        new(start + offset, (int)(length - offset));
}
