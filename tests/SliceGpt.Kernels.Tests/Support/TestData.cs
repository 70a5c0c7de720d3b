namespace SliceGpt.Kernels.Tests.Support;

/// <summary>Seeded random test inputs.</summary>
internal static class TestData
{
    /// <summary><paramref name="count"/> values uniform in [−scale, scale).</summary>
    internal static float[] Uniform(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (random.NextSingle() * 2 - 1) * scale;
        return values;
    }

    internal static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();
}
