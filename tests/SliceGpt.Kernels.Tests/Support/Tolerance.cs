namespace SliceGpt.Kernels.Tests.Support;

/// <summary>|actual − expected| ≤ Absolute + Relative·|expected|, elementwise (llm.c's validate step).</summary>
internal readonly record struct Tolerance(double Absolute, double Relative)
{
    /// <summary>
    /// The tolerance of an op whose output is rounded once to the storage type, on top of fp32 arithmetic
    /// error <paramref name="f32"/>: half keeps 11 significant bits (unit roundoff 2^-11 ≈ 4.9e-4), bfloat16 8
    /// (2^-8 ≈ 3.9e-3); the bound doubles the roundoff to cover an input rounding the reference already
    /// shares plus the fp32 error, and scales the absolute part with the values' magnitude (about 1 here).
    /// </summary>
    internal static Tolerance ForStorage(StorageType type, Tolerance f32) => type switch
    {
        StorageType.F32 => f32,
        StorageType.F16 => new(Math.Max(f32.Absolute, 1e-3), Math.Max(f32.Relative, 1e-3)),
        _ => new(Math.Max(f32.Absolute, 8e-3), Math.Max(f32.Relative, 8e-3)),
    };

    internal void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.That(actual.Length, Is.GreaterThanOrEqualTo(expected.Length), $"{what}: length");
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            double excess = error - (Absolute + Relative * Math.Abs(expected[i]));
            if (double.IsNaN(actual[i]) != double.IsNaN(expected[i]) || excess > worstExcess)
            {
                worst = i;
                worstExcess = double.IsNaN(excess) ? double.PositiveInfinity : excess;
            }
        }
        if (worst >= 0)
            Assert.Fail($"{what}: element {worst} is {actual[worst]}, expected {expected[worst]} (± {Absolute} + {Relative}·|expected|)");
    }
}
