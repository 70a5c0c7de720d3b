using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// A cuBLAS handle with shape-checked GEMM and SYRK. The methods here use cuBLAS's own column-major
/// convention; <c>BlasHandle.RowMajor.cs</c> adds the row-major forms the engine's tensors need. Every call
/// names its stream and binds the context. One handle must not be used by two threads at once (cuBLAS
/// handles are not thread-safe); give each inference session its own.
/// Precision: float, <see cref="Half"/> and <see cref="BFloat16"/> multiply with fp32 accumulation; fp32
/// inputs use full fp32 arithmetic unless <see cref="AllowTf32"/> is set; double uses cublasDgemm.
/// </summary>
public sealed unsafe partial class BlasHandle : CudaResource
{
    private nint _handle;

    /// <summary>Creates a cuBLAS handle in <paramref name="context"/>.</summary>
    /// <exception cref="CudaUnavailableException">cuBLAS is not installed.</exception>
    public BlasHandle(CudaContext context) : base(context)
    {
        try
        {
            CudaLibraries.EnsureLoaded(CudaLibrary.Cublas);
            using var scope = context.Bind();
            CublasCheck.ThrowIfFailed(Cublas.Create(out _handle));
            CublasCheck.ThrowIfFailed(Cublas.SetMathMode(_handle, CublasMath.Default));
            CublasCheck.ThrowIfFailed(Cublas.GetVersion(_handle, out int version));
            Version = version;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The cuBLAS version (e.g. 120402 for 12.4.2).</summary>
    public int Version { get; }

    /// <summary>Lets fp32 GEMMs use TF32 tensor cores (about 10 mantissa bits per product). Off by default.</summary>
    public bool AllowTf32 { get; set; }

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C, column-major, with op(A) m×k, op(B) k×n and C m×n, for float, Half or
    /// BFloat16 (fp32 accumulation) and double.
    /// </summary>
    public void Gemm<T>(CudaStream stream, bool transA, bool transB, int m, int n, int k, float alpha,
        DeviceMemory<T> a, int lda, DeviceMemory<T> b, int ldb, float beta, DeviceMemory<T> c, int ldc) where T : unmanaged
    {
        CheckDims(m, n, k);
        CheckOperand("A", a, transA ? k : m, transA ? m : k, lda, 0, 1);
        CheckOperand("B", b, transB ? n : k, transB ? k : n, ldb, 0, 1);
        CheckOperand("C", c, m, n, ldc, 0, 1);
        GemmCore(stream, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>
    /// <paramref name="batchCount"/> independent column-major GEMMs; matrix i of each operand starts
    /// i·stride elements after the first.
    /// </summary>
    public void GemmStridedBatched<T>(CudaStream stream, bool transA, bool transB, int m, int n, int k, float alpha,
        DeviceMemory<T> a, int lda, long strideA, DeviceMemory<T> b, int ldb, long strideB, float beta,
        DeviceMemory<T> c, int ldc, long strideC, int batchCount) where T : unmanaged
    {
        CheckDims(m, n, k);
        ArgumentOutOfRangeException.ThrowIfNegative(batchCount);
        CheckOperand("A", a, transA ? k : m, transA ? m : k, lda, strideA, batchCount);
        CheckOperand("B", b, transB ? n : k, transB ? k : n, ldb, strideB, batchCount);
        CheckOperand("C", c, m, n, ldc, strideC, batchCount);
        if (m == 0 || n == 0 || batchCount == 0)
            return;
        var type = CudaTypes.DataType<T>();
        var compute = ComputeType(type);
        double alpha64 = alpha, beta64 = beta;
        void* pAlpha = type == CudaDataType.Real64F ? &alpha64 : &alpha;
        void* pBeta = type == CudaDataType.Real64F ? &beta64 : &beta;
        using var scope = Bind(stream);
        CublasCheck.ThrowIfFailed(Cublas.GemmStridedBatchedEx(_handle, Op(transA), Op(transB), m, n, k, pAlpha,
            a.Address, type, lda, strideA, b.Address, type, ldb, strideB, pBeta, c.Address, type, ldc, strideC,
            batchCount, compute, CublasGemmAlgorithm.Default));
    }

    /// <summary>C = alpha·op(A)·op(B) + beta·C in double, column-major (cublasDgemm).</summary>
    public void Dgemm(CudaStream stream, bool transA, bool transB, int m, int n, int k, double alpha,
        DeviceMemory<double> a, int lda, DeviceMemory<double> b, int ldb, double beta, DeviceMemory<double> c, int ldc)
    {
        CheckDims(m, n, k);
        CheckOperand("A", a, transA ? k : m, transA ? m : k, lda, 0, 1);
        CheckOperand("B", b, transB ? n : k, transB ? k : n, ldb, 0, 1);
        CheckOperand("C", c, m, n, ldc, 0, 1);
        DgemmCore(stream, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>
    /// C = alpha·op(A)·op(A)ᵀ + beta·C on one triangle of the symmetric n×n column-major C (cublasDsyrk), with
    /// op(A) n×k (A itself k×n when <paramref name="trans"/>).
    /// </summary>
    public void Dsyrk(CudaStream stream, bool upper, bool trans, int n, int k, double alpha,
        DeviceMemory<double> a, int lda, double beta, DeviceMemory<double> c, int ldc)
    {
        CheckDims(n, n, k);
        CheckOperand("A", a, trans ? k : n, trans ? n : k, lda, 0, 1);
        CheckOperand("C", c, n, n, ldc, 0, 1);
        if (n == 0)
            return;
        using var scope = Bind(stream);
        CublasCheck.ThrowIfFailed(Cublas.Dsyrk(_handle, upper ? CublasFillMode.Upper : CublasFillMode.Lower,
            Op(trans), n, k, &alpha, a.Address, lda, &beta, c.Address, ldc));
    }

    /// <inheritdoc/>
    protected override void ReleaseNative()
    {
        if (_handle == 0)
            return;
        var handle = _handle;
        _handle = 0;
        CublasCheck.ThrowIfFailed(Cublas.Destroy(handle));
    }

    private void GemmCore<T>(CudaStream stream, bool transA, bool transB, int m, int n, int k, float alpha,
        DeviceMemory<T> a, int lda, DeviceMemory<T> b, int ldb, float beta, DeviceMemory<T> c, int ldc) where T : unmanaged
    {
        if (typeof(T) == typeof(double))
        {
            DgemmCore(stream, transA, transB, m, n, k, alpha, a.Cast<double>(), lda, b.Cast<double>(), ldb, beta, c.Cast<double>(), ldc);
            return;
        }
        if (m == 0 || n == 0)
            return;
        var type = CudaTypes.DataType<T>();
        using var scope = Bind(stream);
        CublasCheck.ThrowIfFailed(Cublas.GemmEx(_handle, Op(transA), Op(transB), m, n, k, &alpha, a.Address, type, lda,
            b.Address, type, ldb, &beta, c.Address, type, ldc, ComputeType(type), CublasGemmAlgorithm.Default));
    }

    private void DgemmCore(CudaStream stream, bool transA, bool transB, int m, int n, int k, double alpha,
        DeviceMemory<double> a, int lda, DeviceMemory<double> b, int ldb, double beta, DeviceMemory<double> c, int ldc)
    {
        if (m == 0 || n == 0)
            return;
        using var scope = Bind(stream);
        CublasCheck.ThrowIfFailed(Cublas.Dgemm(_handle, Op(transA), Op(transB), m, n, k, &alpha, a.Address, lda,
            b.Address, ldb, &beta, c.Address, ldc));
    }

    private CublasComputeType ComputeType(CudaDataType type) => type switch
    {
        CudaDataType.Real64F => CublasComputeType.Compute64F,
        CudaDataType.Real32F when AllowTf32 => CublasComputeType.Compute32FFastTf32,
        _ => CublasComputeType.Compute32F,
    };

    private ContextScope Bind(CudaStream stream)
    {
        ThrowIfDisposed();
        var scope = Context.Bind();
        CublasCheck.ThrowIfFailed(Cublas.SetStream(_handle, stream.Handle));
        return scope;
    }

    private static CublasOperation Op(bool transpose) => transpose ? CublasOperation.Transpose : CublasOperation.None;

    private static void CheckDims(int m, int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
    }

    // A stored column-major rows×cols matrix (per batch entry) with leading dimension ld: ld >= rows and
    // enough elements for the last column of the last batch entry.
    private static void CheckOperand<T>(string name, DeviceMemory<T> memory, int rows, int cols, int ld, long stride, int batch)
        where T : unmanaged
    {
        if (ld < Math.Max(1, rows))
            throw new ArgumentException($"{name}: leading dimension {ld} is below its {rows} rows (column-major)");
        if (rows == 0 || cols == 0 || batch == 0)
            return;
        if (batch > 1 && stride < (long)ld * (cols - 1) + rows)
            throw new ArgumentException($"{name}: batch stride {stride} is shorter than one {rows}×{cols} matrix with leading dimension {ld}");
        long needed = stride * (batch - 1) + (long)ld * (cols - 1) + rows;
        memory.EnsureLength(needed, $"{name} ({rows}×{cols} column-major, ld {ld}{(batch > 1 ? $", {batch} matrices" : "")})");
    }
}
