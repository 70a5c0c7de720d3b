using SliceGpt.Native.Cuda;

namespace SliceGpt.Runtime.Slicing.Cuda;

/// <summary>
/// The float64 rotation products on the GPU (cuBLAS DGEMM): the operands are uploaded, multiplied and the product
/// downloaded, which for a 7B model's layer is milliseconds where the CPU takes seconds.
/// </summary>
internal sealed class CudaRotationMath(CudaContext context, BlasHandle blas, CudaStream stream) : IRotationMath
{
    public double[] Multiply(bool transA, bool transB, int m, int n, int k, double[] a, int lda, double[] b, int ldb)
    {
        var result = new double[(long)m * n];
        if (result.Length == 0)
            return result;
        using var scope = context.Bind();
        using var da = context.Upload<double>(a);
        using var db = context.Upload<double>(b);
        using var dc = context.Allocate<double>(result.Length);
        blas.GemmRowMajor(stream, transA, transB, m, n, k, 1f, da.Memory, lda, db.Memory, ldb, 0f, dc.Memory, n);
        stream.CopyToHost(dc.Memory, result);
        stream.Synchronize();
        return result;
    }
}
