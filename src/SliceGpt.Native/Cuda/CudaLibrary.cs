namespace SliceGpt.Native.Cuda;

/// <summary>The NVIDIA libraries this engine loads at run time.</summary>
public enum CudaLibrary
{
    /// <summary>The CUDA driver API (libcuda.so.1), installed with the GPU driver.</summary>
    Driver,
    /// <summary>NVRTC, the runtime CUDA C++ compiler.</summary>
    Nvrtc,
    /// <summary>cuBLAS (which loads cuBLASLt).</summary>
    Cublas,
    /// <summary>cuSOLVER's dense API.</summary>
    Cusolver,
    /// <summary>cuSPARSELt, for 2:4 structured-sparse GEMM.</summary>
    CusparseLt,
}
