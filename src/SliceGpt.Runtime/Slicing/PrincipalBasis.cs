using SliceGpt.Native.Cpu;

namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// The PCA of one signal: the eigenvectors of the damped covariance as the columns of the D×D matrix
/// <see cref="Q"/>, sorted by descending eigenvalue, and the undamped spectrum.
/// </summary>
public sealed class PrincipalBasis
{
    /// <summary>Damping added to the diagonal, relative to its mean (the reference's 0.01).</summary>
    public const double DampingFactor = 0.01;

    /// <summary>Width D of the signal.</summary>
    public int Dim { get; }

    /// <summary>The basis, row-major D×D: column j is the j-th principal direction.</summary>
    internal double[] Q { get; }

    /// <summary>Eigenvalues of the undamped covariance H, descending (damping shifts every eigenvalue equally).</summary>
    public double[] Eigenvalues { get; }

    private PrincipalBasis(int dim, double[] q, double[] eigenvalues)
    {
        Dim = dim;
        Q = q;
        Eigenvalues = eigenvalues;
    }

    /// <summary>Damps H by 0.01·mean(diag H) and eigendecomposes it with LAPACK dsyevd in float64.</summary>
    public static PrincipalBasis FromCovariance(double[] h, int dim)
    {
        double damping = Damp(h, dim);
        var eigenvalues = new double[dim];
        CpuLapack.SymmetricEigenDescending(dim, h, eigenvalues);
        return FromEigen(h, eigenvalues, damping, dim);
    }

    /// <summary>Adds 0.01·mean(diag H) to the diagonal of H, in place, and returns the amount added.</summary>
    public static double Damp(double[] h, int dim)
    {
        double damping = 0;
        for (int i = 0; i < dim; i++)
            damping += h[i * dim + i];
        damping = DampingFactor * damping / dim;
        for (int i = 0; i < dim; i++)
            h[i * dim + i] += damping;
        return damping;
    }

    /// <summary>
    /// The basis from a damped covariance's eigendecomposition (descending; column j of <paramref name="q"/> the j-th
    /// eigenvector), however it was computed; <paramref name="damping"/> is subtracted back from the spectrum.
    /// </summary>
    public static PrincipalBasis FromEigen(double[] q, double[] dampedEigenvalues, double damping, int dim)
    {
        var eigenvalues = new double[dim];
        for (int i = 0; i < dim; i++)
            eigenvalues[i] = dampedEigenvalues[i] - damping;
        return new PrincipalBasis(dim, q, eigenvalues);
    }

    /// <summary>A basis given directly (tests: an arbitrary orthogonal matrix).</summary>
    internal static PrincipalBasis FromMatrix(double[] q, int dim) => new(dim, q, new double[dim]);

    /// <summary>Share of the variance (sum of eigenvalues) carried by the leading <paramref name="width"/> components.</summary>
    public double ExplainedVariance(int width)
    {
        double total = 0, kept = 0;
        for (int i = 0; i < Dim; i++)
        {
            double v = Math.Max(Eigenvalues[i], 0);
            total += v;
            if (i < width)
                kept += v;
        }
        return total > 0 ? kept / total : 1;
    }

    /// <summary>The fewest leading components explaining at least <paramref name="target"/>, rounded up to a multiple of <paramref name="roundTo"/>.</summary>
    public int WidthForVariance(double target, int roundTo)
    {
        int width = 1;
        while (width < Dim && ExplainedVariance(width) < target)
            width++;
        width = (width + roundTo - 1) / roundTo * roundTo;
        return Math.Min(width, Dim);
    }

    /// <summary>
    /// Rotates the leading <paramref name="width"/> columns by a random orthogonal d×d matrix drawn from
    /// <paramref name="seed"/>: the kept subspace is unchanged, its orientation is random (the reference's default).
    /// </summary>
    public PrincipalBasis WithRandomOrientation(int width, ulong seed)
    {
        var random = RandomOrthogonal(width, seed);
        var q = (double[])Q.Clone();
        var leading = new double[Dim * width];
        for (int r = 0; r < Dim; r++)
            Array.Copy(Q, r * Dim, leading, r * width, width);
        var rotated = new double[Dim * width];
        CpuBlas.Gemm(false, false, Dim, width, width, 1.0, leading, width, random, width, 0.0, rotated, width);
        for (int r = 0; r < Dim; r++)
            Array.Copy(rotated, r * width, q, r * Dim, width);
        return new PrincipalBasis(Dim, q, Eigenvalues);
    }

    /// <summary>A Haar-random n×n orthogonal matrix: the Q factor of a standard normal matrix (seeded, portable).</summary>
    public static double[] RandomOrthogonal(int n, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var a = new double[n * n];
        for (int i = 0; i < a.Length; i++)
            a[i] = rng.NextGaussian();
        CpuLapack.OrthogonalFactor(n, a);
        return a;
    }
}
