using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// A cuSOLVER dense handle: the symmetric eigensolver of the PCA, in double as the paper requires. Like a
/// cuBLAS handle it must not be used by two threads at once. The calls allocate their workspace and the
/// status word per call: an eigendecomposition per layer is nowhere near a hot loop.
/// </summary>
public sealed class SolverHandle : CudaResource
{
    private nint _handle;

    /// <summary>Creates a cuSOLVER handle in <paramref name="context"/>.</summary>
    /// <exception cref="CudaUnavailableException">cuSOLVER (or a library it needs) is not installed.</exception>
    public SolverHandle(CudaContext context) : base(context)
    {
        try
        {
            CudaLibraries.EnsureLoaded(CudaLibrary.Cusolver);
            using var scope = context.Bind();
            CusolverCheck.ThrowIfFailed(Cusolver.Create(out _handle));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Eigendecomposes the symmetric n×n matrix <paramref name="a"/> (column-major, lower triangle read) in
    /// place with cusolverDnDsyevd: on return <paramref name="eigenvalues"/> is ascending, as cuSOLVER returns
    /// it, and column j of <paramref name="a"/> is the eigenvector of eigenvalue j. Synchronizes
    /// <paramref name="stream"/> to read cuSOLVER's info.
    /// </summary>
    /// <exception cref="EigenSolverException">cuSOLVER reported a non-zero info.</exception>
    public void DsyevdAscending(CudaStream stream, DeviceMemory<double> a, DeviceMemory<double> eigenvalues, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        a.EnsureLength((long)n * n, $"matrix ({n}×{n})");
        eigenvalues.EnsureLength(n, $"eigenvalues ({n})");
        ThrowIfDisposed();
        if (n == 0)
            return;
        using var scope = Context.Bind();
        CusolverCheck.ThrowIfFailed(Cusolver.SetStream(_handle, stream.Handle));
        CusolverCheck.ThrowIfFailed(Cusolver.DsyevdBufferSize(_handle, CusolverEigMode.Vectors, CublasFillMode.Lower,
            n, a.Address, n, eigenvalues.Address, out int workElements));
        using var work = Context.Allocate<double>(Math.Max(1, workElements));
        using var info = Context.Allocate<int>(1);
        CusolverCheck.ThrowIfFailed(Cusolver.Dsyevd(_handle, CusolverEigMode.Vectors, CublasFillMode.Lower, n,
            a.Address, n, eigenvalues.Address, work.Address, workElements, info.Address));
        Span<int> status = stackalloc int[1];
        info.CopyToHostAsync(status, stream);
        stream.Synchronize();
        if (status[0] != 0)
            throw new EigenSolverException("cusolverDnDsyevd", status[0]);
    }

    /// <summary>
    /// The eigendecomposition the SliceGPT pipeline wants, with the same result as
    /// CpuLapack.SymmetricEigenDescending: the symmetric n×n row-major matrix on the device (its upper
    /// triangle is read; <paramref name="a"/> is overwritten), and on the host <paramref name="vectorsRowMajor"/>
    /// with column j the unit eigenvector of <paramref name="eigenvalues"/>[j], sorted descending.
    /// </summary>
    /// <exception cref="EigenSolverException">cuSOLVER reported a non-zero info.</exception>
    public void SymmetricEigenDescending(CudaStream stream, DeviceMemory<double> a, int n,
        Span<double> vectorsRowMajor, Span<double> eigenvalues)
    {
        if (vectorsRowMajor.Length < (long)n * n)
            throw new ArgumentException($"vectors: {n}×{n} needs {(long)n * n} elements, the span has {vectorsRowMajor.Length}");
        if (eigenvalues.Length < n)
            throw new ArgumentException($"eigenvalues: needs {n} elements, the span has {eigenvalues.Length}");
        // Row-major upper triangle = column-major lower triangle: the same numbers, so no copy is needed.
        using var w = Context.Allocate<double>(Math.Max(1, n));
        DsyevdAscending(stream, a, w.Memory.Slice(0, n), n);
        var columnMajor = new double[(long)n * n];
        stream.CopyToHost(a.Slice(0, (long)n * n), columnMajor);
        stream.CopyToHost(w.Memory.Slice(0, n), eigenvalues[..n]);
        stream.Synchronize();
        // Column-major V (eigenvector j contiguous) into row-major Q[i, j] = V[i, j], then descending order.
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                vectorsRowMajor[i * n + j] = columnMajor[(long)j * n + i];
        EigenOrder.ReverseToDescending(n, vectorsRowMajor, eigenvalues);
    }

    /// <inheritdoc/>
    protected override void ReleaseNative()
    {
        if (_handle == 0)
            return;
        var handle = _handle;
        _handle = 0;
        CusolverCheck.ThrowIfFailed(Cusolver.Destroy(handle));
    }
}
