using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

// Row-major forms. A row-major r×c matrix with row length ld is, read column-major, its c×r transpose with
// the same ld. So the row-major product C = op(A)·op(B) (C m×n) is the column-major product
// Cᵀ = op(B)ᵀ·op(A)ᵀ (Cᵀ n×m): swap the operands and m with n, keep every flag and leading dimension.
// Nothing is copied or transposed in memory.
public sealed partial class BlasHandle
{
    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C on row-major matrices (as CpuBlas.Gemm): op(A) m×k, op(B) k×n, C m×n,
    /// each leading dimension being the row length of the stored matrix.
    /// </summary>
    public void GemmRowMajor<T>(CudaStream stream, bool transA, bool transB, int m, int n, int k, float alpha,
        DeviceMemory<T> a, int lda, DeviceMemory<T> b, int ldb, float beta, DeviceMemory<T> c, int ldc) where T : unmanaged
    {
        CheckDims(m, n, k);
        CheckRowMajor("A", a, transA ? k : m, transA ? m : k, lda);
        CheckRowMajor("B", b, transB ? n : k, transB ? k : n, ldb);
        CheckRowMajor("C", c, m, n, ldc);
        GemmCore(stream, transB, transA, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc);
    }

    /// <summary>
    /// A linear layer: Y[rows, outFeatures] = X[rows, inFeatures]·Wᵀ, or Y += X·Wᵀ when
    /// <paramref name="accumulate"/>, with the weight row-major [outFeatures, inFeatures] as checkpoints
    /// store it and dense row-major activations. Column-major, this is Yᵀ = W·Xᵀ: cuBLAS reads the stored
    /// weight as Wᵀ and transposes it back (op T), and reads X as Xᵀ (op N).
    /// </summary>
    public void Linear<T>(CudaStream stream, DeviceMemory<T> x, DeviceMemory<T> weight, DeviceMemory<T> y,
        int rows, int inFeatures, int outFeatures, bool accumulate = false) where T : unmanaged
    {
        CheckDims(rows, outFeatures, inFeatures);
        CheckRowMajor("x [rows, inFeatures]", x, rows, inFeatures, inFeatures);
        CheckRowMajor("weight [outFeatures, inFeatures]", weight, outFeatures, inFeatures, inFeatures);
        CheckRowMajor("y [rows, outFeatures]", y, rows, outFeatures, outFeatures);
        GemmCore(stream, true, false, outFeatures, rows, inFeatures, 1f, weight, inFeatures, x, inFeatures,
            accumulate ? 1f : 0f, y, outFeatures);
    }

    /// <summary>
    /// As <see cref="Linear{T}"/>, but Y is fp32 while X and the weight are stored as <typeparamref name="T"/>
    /// (float, <see cref="Half"/> or <see cref="BFloat16"/>): cuBLAS's mixed-type GemmEx (A and B in T, C in
    /// CUDA_R_32F, fp32 compute). A half-precision model's head writes its logits this way, so the final sums are
    /// never rounded to 16 bits before a softmax or a perplexity reads them.
    /// </summary>
    public unsafe void LinearToFloat<T>(CudaStream stream, DeviceMemory<T> x, DeviceMemory<T> weight, DeviceMemory<float> y,
        int rows, int inFeatures, int outFeatures, bool accumulate = false) where T : unmanaged
    {
        CheckDims(rows, outFeatures, inFeatures);
        CheckRowMajor("x [rows, inFeatures]", x, rows, inFeatures, inFeatures);
        CheckRowMajor("weight [outFeatures, inFeatures]", weight, outFeatures, inFeatures, inFeatures);
        CheckRowMajor("y [rows, outFeatures]", y, rows, outFeatures, outFeatures);
        var type = CudaTypes.DataType<T>();
        if (type == CudaDataType.Real64F)
            throw new NotSupportedException("LinearToFloat takes float, Half or BFloat16 operands");
        if (rows == 0 || outFeatures == 0)
            return;
        float alpha = 1f, beta = accumulate ? 1f : 0f;
        using var scope = Bind(stream);
        CublasCheck.ThrowIfFailed(Cublas.GemmEx(_handle, CublasOperation.Transpose, CublasOperation.None, outFeatures, rows,
            inFeatures, &alpha, weight.Address, type, inFeatures, x.Address, type, inFeatures, &beta, y.Address,
            CudaDataType.Real32F, outFeatures, ComputeType(type), CublasGemmAlgorithm.Default));
    }

    /// <summary>
    /// C ← alpha·AᵀA + beta·C on the upper triangle of the row-major n×n matrix C, with A row-major k×n (one
    /// token's signal per row): the PCA covariance accumulation, as CpuBlas.SyrkTransposedUpper. Column-major
    /// this is C = alpha·A'·A'ᵀ with A' = Aᵀ (n×k), filling the lower triangle, which is the row-major upper.
    /// </summary>
    public void SyrkTransposedUpper(CudaStream stream, int n, int k, double alpha, DeviceMemory<double> a, int lda,
        double beta, DeviceMemory<double> c, int ldc)
    {
        CheckDims(n, n, k);
        CheckRowMajor("A [k, n]", a, k, n, lda);
        CheckRowMajor("C [n, n]", c, n, n, ldc);
        Dsyrk(stream, upper: false, trans: false, n, k, alpha, a, lda, beta, c, ldc);
    }

    private static void CheckRowMajor<T>(string name, DeviceMemory<T> memory, int rows, int cols, int ld) where T : unmanaged
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"{name}: leading dimension {ld} is below its {cols} columns (row-major)");
        if (rows == 0 || cols == 0)
            return;
        memory.EnsureLength((long)ld * (rows - 1) + cols, $"{name} ({rows}×{cols} row-major, ld {ld})");
    }
}
