namespace SliceGpt.Native.Cpu;

/// <summary>LAPACK's symmetric eigensolver, with the sort order the SliceGPT pipeline wants.</summary>
public static unsafe class CpuLapack
{
    /// <summary>
    /// Eigendecomposes the symmetric n×n row-major matrix <paramref name="a"/> in place with dsyevd
    /// (reading its upper triangle). On return <paramref name="eigenvalues"/> is sorted descending and
    /// column j of <paramref name="a"/> is the unit eigenvector of eigenvalue j.
    /// </summary>
    /// <exception cref="EigenSolverException">LAPACK reported a non-zero info.</exception>
    public static void SymmetricEigenDescending(int n, Span<double> a, Span<double> eigenvalues)
    {
        CpuBlas.EnsureAvailable();
        if (a.Length < (long)n * n)
            throw new ArgumentException($"matrix: {n}×{n} needs {(long)n * n} elements, the span has {a.Length}");
        if (eigenvalues.Length < n)
            throw new ArgumentException($"eigenvalues: needs {n} elements, the span has {eigenvalues.Length}");
        int info;
        fixed (double* pa = a)
        fixed (double* pw = eigenvalues)
            info = Lapacke.Dsyevd(Lapacke.RowMajor, (byte)'V', (byte)'U', n, pa, n, pw);
        if (info != 0)
            throw new EigenSolverException("LAPACKE_dsyevd", info);
        EigenOrder.ReverseToDescending(n, a, eigenvalues);
    }

    /// <summary>
    /// Replaces the n×n row-major matrix <paramref name="a"/> by the orthogonal factor Q of its QR decomposition
    /// (LAPACK dgeqrf + dorgqr), with column signs chosen so that R has a positive diagonal. Applied to a matrix
    /// of independent standard normal entries this gives a Haar-distributed random orthogonal matrix.
    /// </summary>
    /// <exception cref="EigenSolverException">LAPACK reported a non-zero info.</exception>
    public static void OrthogonalFactor(int n, Span<double> a)
    {
        CpuBlas.EnsureAvailable();
        if (a.Length < (long)n * n)
            throw new ArgumentException($"matrix: {n}×{n} needs {(long)n * n} elements, the span has {a.Length}");
        var tau = new double[n];
        var diagonalSigns = new double[n];
        fixed (double* pa = a)
        fixed (double* pt = tau)
        {
            int info = Lapacke.Dgeqrf(Lapacke.RowMajor, n, n, pa, n, pt);
            if (info != 0)
                throw new EigenSolverException("LAPACKE_dgeqrf", info);
            for (int i = 0; i < n; i++)
                diagonalSigns[i] = a[i * n + i] < 0 ? -1 : 1;
            info = Lapacke.Dorgqr(Lapacke.RowMajor, n, n, n, pa, n, pt);
            if (info != 0)
                throw new EigenSolverException("LAPACKE_dorgqr", info);
        }
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
                a[r * n + c] *= diagonalSigns[c];
    }
}
