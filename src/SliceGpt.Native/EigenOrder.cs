namespace SliceGpt.Native;

/// <summary>Solvers return eigenvalues ascending; SliceGPT keeps the leading (largest) components first.</summary>
public static class EigenOrder
{
    /// <summary>
    /// Reverses the eigenvalues and the columns of the row-major n×n eigenvector matrix,
    /// turning ascending order into descending order.
    /// </summary>
    public static void ReverseToDescending(int n, Span<double> vectorsRowMajor, Span<double> eigenvalues)
    {
        eigenvalues[..n].Reverse();
        for (int r = 0; r < n; r++)
            vectorsRowMajor.Slice(r * n, n).Reverse();
    }
}
