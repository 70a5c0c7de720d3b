using System.Numerics;
using SliceGpt.Native.Cpu;
using SliceGpt.Runtime.Diagnostics;
using SliceGpt.Runtime.Numerics;

namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// H = Σ XᵀX over every calibration token's signal, uncentred and accumulated in float64 with OpenBLAS dsyrk
/// (upper triangle), batch after batch.
/// </summary>
public sealed class CovarianceAccumulator
{
    private const int ChunkRows = 1024;
    private readonly double[] _h;      // (dim, dim) upper triangle valid
    private readonly double[] _chunk;  // (ChunkRows, dim) the signal converted to float64

    /// <summary>Width of the signal.</summary>
    public int Dim { get; }

    /// <summary>Number of token signals accumulated.</summary>
    public long Tokens { get; private set; }

    /// <summary>Creates an empty accumulator for signals of width <paramref name="dim"/>.</summary>
    public CovarianceAccumulator(int dim)
    {
        Dim = dim;
        _h = new double[(long)dim * dim];
        _chunk = new double[ChunkRows * dim];
    }

    /// <summary>Adds <paramref name="rows"/> signals stored row-major in <paramref name="signals"/>.</summary>
    public void Add<T>(ReadOnlySpan<T> signals, int rows) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (signals.Length < (long)rows * Dim)
            throw new ArgumentException($"{rows} signals of width {Dim} need {(long)rows * Dim} values, got {signals.Length}", nameof(signals));
        for (int first = 0; first < rows; first += ChunkRows)
        {
            int count = Math.Min(ChunkRows, rows - first);
            var source = signals.Slice(first * Dim, count * Dim);
            var chunk = _chunk.AsSpan(0, count * Dim);
            for (int i = 0; i < chunk.Length; i++)
                chunk[i] = double.CreateTruncating(source[i]);
            CpuBlas.SyrkTransposedUpper(Dim, count, 1.0, chunk, Dim, 1.0, _h, Dim);
        }
        Tokens += rows;
    }

    /// <summary>The full symmetric matrix H (a copy), after checking it is finite.</summary>
    /// <exception cref="NonFiniteValueException">A non-finite value: the model's activations overflowed or are NaN.</exception>
    public double[] Covariance(string signal) => CompleteUpper((double[])_h.Clone(), Dim, signal);

    /// <summary>Mirrors the upper triangle of the row-major <paramref name="dim"/>² matrix <paramref name="h"/> into its lower one, in place, checking every value is finite.</summary>
    /// <exception cref="NonFiniteValueException">A non-finite value: the model's activations overflowed or are NaN.</exception>
    public static double[] CompleteUpper(double[] h, int dim, string signal)
    {
        for (int r = 0; r < dim; r++)
        {
            for (int c = r; c < dim; c++)
            {
                double v = h[r * dim + c];
                if (!double.IsFinite(v))
                    throw new NonFiniteValueException(
                        $"{signal}: the calibration covariance is not finite (entry [{r}, {c}] = {NonFiniteValueException.Text(v)}) before its eigendecomposition: the model's activations overflow or are NaN at this signal",
                        signal, index: (long)r * dim + c);
                h[c * dim + r] = v;
            }
        }
        return h;
    }
}
