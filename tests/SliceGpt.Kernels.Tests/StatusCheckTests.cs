using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests;

/// <summary>The status checkers throw typed exceptions with the status and the call text. Runs anywhere.</summary>
public sealed class StatusCheckTests
{
    [Test]
    public void DriverFailureCarriesStatusAndCallText()
    {
        var e = Assert.Throws<CudaException>(() => CuCheck.ThrowIfFailed(SimulatedAllocation()))!;
        Assert.Multiple(() =>
        {
            Assert.That(e.Library, Is.EqualTo("CUDA driver"));
            Assert.That(e.StatusCode, Is.EqualTo(2));
            Assert.That(e.StatusName, Is.EqualTo("CUDA_ERROR_OUT_OF_MEMORY"));
            Assert.That(e.Call, Is.EqualTo("SimulatedAllocation()"));
            Assert.That(e.Message, Does.Contain("SimulatedAllocation()"));
        });
    }

    [Test]
    public void SuccessDoesNotThrow()
    {
        Assert.DoesNotThrow(() => CuCheck.ThrowIfFailed(CuResult.Success));
        Assert.DoesNotThrow(() => CublasCheck.ThrowIfFailed(CublasStatus.Success));
    }

    [Test]
    public void EveryLibraryHasItsOwnChecker()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<CudaException>(() => NvrtcCheck.ThrowIfFailed(NvrtcResult.InvalidOption))!.Library, Is.EqualTo("NVRTC"));
            var blas = Assert.Throws<CudaException>(() => CublasCheck.ThrowIfFailed(CublasStatus.InvalidValue))!;
            Assert.That(blas.StatusName, Is.EqualTo("CUBLAS_STATUS_INVALID_VALUE"));
            Assert.That(blas.Call, Is.EqualTo("CublasStatus.InvalidValue"));
            var solver = Assert.Throws<CudaException>(() => CusolverCheck.ThrowIfFailed((CusolverStatus)42))!;
            Assert.That(solver.StatusCode, Is.EqualTo(42));
            Assert.That(solver.StatusName, Is.EqualTo("CUSOLVER_STATUS_UNKNOWN"));
            Assert.That(Assert.Throws<CudaException>(() => CusparseLtCheck.ThrowIfFailed(CusparseStatus.ArchMismatch))!.StatusName,
                Is.EqualTo("CUSPARSE_STATUS_ARCH_MISMATCH"));
        });
    }

    private static CuResult SimulatedAllocation() => CuResult.OutOfMemory;
}
