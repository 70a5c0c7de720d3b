namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// SplitMix64 with Box–Muller normals: a small generator whose sequence is fixed by its seed on every platform
/// and runtime version (System.Random's algorithm is unspecified), so seeded runs are reproducible bit for bit.
/// </summary>
internal sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;
    private double? _spare;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n) => (int)(NextDouble() * n);

    public double NextGaussian()
    {
        if (_spare is double s)
        {
            _spare = null;
            return s;
        }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = radius * Math.Sin(2 * Math.PI * u2);
        return radius * Math.Cos(2 * Math.PI * u2);
    }
}
