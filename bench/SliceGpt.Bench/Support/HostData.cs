using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Sparsity;

namespace SliceGpt.Bench.Support;

/// <summary>
/// Deterministic random fp16 matrices for the GPU benchmarks, made on all cores: the largest weight timed (OPT-66B fc1,
/// 340 M entries) must not make setup dominate a suite that has minutes of device time.
/// </summary>
internal static class HostData
{
    private const int Chunk = 1 << 20;

    /// <summary>
    /// A row-major [<paramref name="rows"/>, <paramref name="cols"/>] matrix of values uniform in [−<paramref name="scale"/>,
    /// <paramref name="scale"/>], rounded to <typeparamref name="T"/> (Half or BFloat16); with <paramref name="pruneTwoFour"/>,
    /// magnitude 2:4 along each row (the two largest of every four consecutive columns kept, decided before rounding).
    /// Made in blocks of whole rows, each block with its own generator seeded from (<paramref name="seed"/>, block), so the
    /// result does not depend on the thread count.
    /// </summary>
    public static T[] Matrix<T>(int rows, int cols, ulong seed, float scale, bool pruneTwoFour = false) where T : unmanaged
    {
        var data = new T[checked(rows * cols)];
        int rowsPerBlock = Math.Max(1, Chunk / cols);
        int blocks = (rows + rowsPerBlock - 1) / rowsPerBlock;
        Parallel.For(0, blocks, block =>
        {
            int first = block * rowsPerBlock, count = Math.Min(rowsPerBlock, rows - first);
            var values = new float[count * cols];
            Fill(values, seed, block, scale);
            if (pruneTwoFour)
                TwoFourPruning.PruneInPlace<float>(values, cols);
            Convert(values, data.AsSpan(first * cols, count * cols));
        });
        return data;
    }

    /// <summary>The transpose of a row-major [<paramref name="rows"/>, <paramref name="cols"/>] matrix, rows in parallel.</summary>
    public static T[] Transpose<T>(T[] matrix, int rows, int cols) where T : unmanaged
    {
        if (matrix.Length != (long)rows * cols)
            throw new ArgumentException($"{matrix.Length} elements are not {rows} x {cols}", nameof(matrix));
        var result = new T[matrix.Length];
        const int tile = 64;
        Parallel.For(0, (rows + tile - 1) / tile, block =>
        {
            int r0 = block * tile, r1 = Math.Min(rows, r0 + tile);
            for (int c0 = 0; c0 < cols; c0 += tile)
            {
                int c1 = Math.Min(cols, c0 + tile);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        result[(long)c * rows + r] = matrix[(long)r * cols + c];
            }
        });
        return result;
    }

    /// <summary>A storage value as double (Half or BFloat16).</summary>
    public static double ToDouble<T>(T value) where T : unmanaged
    {
        if (typeof(T) == typeof(Half))
            return (double)Unsafe.As<T, Half>(ref value);
        if (typeof(T) == typeof(BFloat16))
            return (float)Unsafe.As<T, BFloat16>(ref value);
        throw new NotSupportedException($"benchmark operands are Half or BFloat16, not {typeof(T).Name}");
    }

    private static void Convert<T>(ReadOnlySpan<float> values, Span<T> destination) where T : unmanaged
    {
        if (typeof(T) == typeof(Half))
        {
            TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<T, Half>(destination));
            return;
        }
        if (typeof(T) != typeof(BFloat16))
            throw new NotSupportedException($"benchmark operands are Half or BFloat16, not {typeof(T).Name}");
        var bf16 = MemoryMarshal.Cast<T, BFloat16>(destination);
        for (int i = 0; i < values.Length; i++)
            bf16[i] = (BFloat16)values[i];
    }

    /// <summary>
    /// Uniform values in [−<paramref name="scale"/>, <paramref name="scale"/>] kept in float (the host form of a model's weights): the end-to-end suites' random models, 2 GB of host data per 7B variant, made on all cores.
    /// </summary>
    public static float[] UniformFloats(long length, ulong seed, float scale)
    {
        var data = new float[checked((int)length)];
        ForEachChunk(length, (chunk, start, count) => Fill(data.AsSpan(start, count), seed, chunk, scale));
        return data;
    }

    private static void ForEachChunk(long length, Action<int, int, int> body)
    {
        int chunks = (int)((length + Chunk - 1) / Chunk);
        Parallel.For(0, chunks, chunk =>
        {
            int start = chunk * Chunk, count = (int)Math.Min(Chunk, length - start);
            body(chunk, start, count);
        });
    }

    private static void Fill(Span<float> values, ulong seed, int chunk, float scale)
    {
        ulong state = seed ^ (0x9E3779B97F4A7C15UL * (ulong)(chunk + 1));
        for (int i = 0; i < values.Length; i++)
        {
            // SplitMix64; the top 24 bits give a float in [0, 1) exactly.
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            values[i] = ((z >> 40) * (1f / (1 << 24)) * 2f - 1f) * scale;
        }
    }

    /// <summary>A stable 64-bit seed from a case name (string.GetHashCode is randomized per process).</summary>
    public static ulong Seed(string name)
    {
        ulong hash = 14695981039346656037UL; // FNV-1a
        foreach (char c in name)
            hash = (hash ^ c) * 1099511628211UL;
        return hash;
    }
}
