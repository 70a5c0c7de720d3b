using System.Numerics.Tensors;
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
    /// <paramref name="length"/> values uniform in [−<paramref name="scale"/>, <paramref name="scale"/>], rounded to fp16.
    /// Each 2^20-element chunk has its own generator seeded from (<paramref name="seed"/>, chunk), so the result does not
    /// depend on the thread count.
    /// </summary>
    public static Half[] Uniform(long length, ulong seed, float scale)
    {
        var data = new Half[checked((int)length)];
        ForEachChunk(length, (chunk, start, count) =>
        {
            var values = new float[count];
            Fill(values, seed, chunk, scale);
            TensorPrimitives.ConvertToHalf(values, data.AsSpan(start, count));
        });
        return data;
    }

    /// <summary>
    /// As <see cref="Uniform"/> but kept in float (the host form of a model's weights), with the same values before
    /// rounding: the end-to-end suites' random models, 2 GB of host data per 7B variant, made on all cores.
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

    /// <summary>Magnitude 2:4 pruning of a row-major [rows, <paramref name="inFeatures"/>] weight in place, rows in parallel.</summary>
    public static void PruneTwoFour(Half[] weight, int inFeatures)
    {
        int rows = weight.Length / inFeatures;
        const int rowsPerTask = 64;
        Parallel.For(0, (rows + rowsPerTask - 1) / rowsPerTask, block =>
        {
            int first = block * rowsPerTask, count = Math.Min(rowsPerTask, rows - first);
            TwoFourPruning.PruneInPlace(weight.AsSpan(first * inFeatures, count * inFeatures), inFeatures);
        });
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
