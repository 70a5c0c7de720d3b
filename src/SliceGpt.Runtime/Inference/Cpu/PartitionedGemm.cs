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
        {
            nint ia = (nint)pa, ib = (nint)pb, ic = (nint)pc;
            int aLength = a.Length, bLength = b.Length, cLength = c.Length;
            Parallel.For(0, parts, part =>
            {
                int size = byRows ? m : n;
                int begin = (int)((long)size * part / parts), end = (int)((long)size * (part + 1) / parts);
                if (begin == end)
                    return;
                if (byRows)
                {
                    CpuBlas.Gemm(false, transB, end - begin, n, k, alpha,
                        Tail((T*)ia, aLength, (long)begin * lda), lda, new ReadOnlySpan<T>((T*)ib, bLength), ldb, beta,
                        Tail((T*)ic, cLength, (long)begin * ldc), ldc);
                }
                else
                {
                    long bOffset = transB ? (long)begin * ldb : begin;
                    CpuBlas.Gemm(false, transB, m, end - begin, k, alpha, new ReadOnlySpan<T>((T*)ia, aLength), lda,
                        Tail((T*)ib, bLength, bOffset), ldb, beta, Tail((T*)ic, cLength, begin), ldc);
                }
            });
        }
    }

    private static Span<T> Tail<T>(T* start, int length, long offset) where T : unmanaged =>
        new(start + offset, (int)(length - offset));
}
