namespace SliceGpt.Native.Cuda;

// The status codes of each CUDA library, with the members this engine meets by name; any other value
// still travels through CudaException.StatusCode and is named by the driver where it can.

/// <summary>A CUDA driver API result (<c>CUresult</c>).</summary>
public enum CuResult
{
    /// <summary>CUDA_SUCCESS.</summary>
    Success = 0,
    /// <summary>CUDA_ERROR_INVALID_VALUE.</summary>
    InvalidValue = 1,
    /// <summary>CUDA_ERROR_OUT_OF_MEMORY.</summary>
    OutOfMemory = 2,
    /// <summary>CUDA_ERROR_NOT_INITIALIZED.</summary>
    NotInitialized = 3,
    /// <summary>CUDA_ERROR_DEINITIALIZED.</summary>
    Deinitialized = 4,
    /// <summary>CUDA_ERROR_NO_DEVICE.</summary>
    NoDevice = 100,
    /// <summary>CUDA_ERROR_INVALID_DEVICE.</summary>
    InvalidDevice = 101,
    /// <summary>CUDA_ERROR_INVALID_IMAGE.</summary>
    InvalidImage = 200,
    /// <summary>CUDA_ERROR_INVALID_CONTEXT.</summary>
    InvalidContext = 201,
    /// <summary>CUDA_ERROR_NO_BINARY_FOR_GPU.</summary>
    NoBinaryForGpu = 209,
    /// <summary>CUDA_ERROR_INVALID_PTX.</summary>
    InvalidPtx = 218,
    /// <summary>CUDA_ERROR_UNSUPPORTED_PTX_VERSION: the PTX is newer than the driver.</summary>
    UnsupportedPtxVersion = 222,
    /// <summary>CUDA_ERROR_INVALID_HANDLE.</summary>
    InvalidHandle = 400,
    /// <summary>CUDA_ERROR_NOT_FOUND (for example an entry point missing from a module).</summary>
    NotFound = 500,
    /// <summary>CUDA_ERROR_NOT_READY.</summary>
    NotReady = 600,
    /// <summary>CUDA_ERROR_ILLEGAL_ADDRESS: a kernel touched memory it does not own.</summary>
    IllegalAddress = 700,
    /// <summary>CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES.</summary>
    LaunchOutOfResources = 701,
    /// <summary>CUDA_ERROR_LAUNCH_FAILED.</summary>
    LaunchFailed = 719,
    /// <summary>CUDA_ERROR_SYSTEM_DRIVER_MISMATCH.</summary>
    SystemDriverMismatch = 803,
    /// <summary>CUDA_ERROR_UNKNOWN.</summary>
    Unknown = 999,
}

/// <summary>An NVRTC result (<c>nvrtcResult</c>).</summary>
public enum NvrtcResult
{
    /// <summary>NVRTC_SUCCESS.</summary>
    Success = 0,
    /// <summary>NVRTC_ERROR_OUT_OF_MEMORY.</summary>
    OutOfMemory = 1,
    /// <summary>NVRTC_ERROR_PROGRAM_CREATION_FAILURE.</summary>
    ProgramCreationFailure = 2,
    /// <summary>NVRTC_ERROR_INVALID_INPUT.</summary>
    InvalidInput = 3,
    /// <summary>NVRTC_ERROR_INVALID_PROGRAM.</summary>
    InvalidProgram = 4,
    /// <summary>NVRTC_ERROR_INVALID_OPTION.</summary>
    InvalidOption = 5,
    /// <summary>NVRTC_ERROR_COMPILATION: the source did not compile; the log says why.</summary>
    Compilation = 6,
    /// <summary>NVRTC_ERROR_BUILTIN_OPERATION_FAILURE (often libnvrtc-builtins not found).</summary>
    BuiltinOperationFailure = 7,
    /// <summary>NVRTC_ERROR_INTERNAL_ERROR.</summary>
    InternalError = 11,
}

/// <summary>A cuBLAS status (<c>cublasStatus_t</c>).</summary>
public enum CublasStatus
{
    /// <summary>CUBLAS_STATUS_SUCCESS.</summary>
    Success = 0,
    /// <summary>CUBLAS_STATUS_NOT_INITIALIZED.</summary>
    NotInitialized = 1,
    /// <summary>CUBLAS_STATUS_ALLOC_FAILED.</summary>
    AllocFailed = 3,
    /// <summary>CUBLAS_STATUS_INVALID_VALUE.</summary>
    InvalidValue = 7,
    /// <summary>CUBLAS_STATUS_ARCH_MISMATCH.</summary>
    ArchMismatch = 8,
    /// <summary>CUBLAS_STATUS_MAPPING_ERROR.</summary>
    MappingError = 11,
    /// <summary>CUBLAS_STATUS_EXECUTION_FAILED.</summary>
    ExecutionFailed = 13,
    /// <summary>CUBLAS_STATUS_INTERNAL_ERROR.</summary>
    InternalError = 14,
    /// <summary>CUBLAS_STATUS_NOT_SUPPORTED.</summary>
    NotSupported = 15,
}

/// <summary>A cuSOLVER status (<c>cusolverStatus_t</c>).</summary>
public enum CusolverStatus
{
    /// <summary>CUSOLVER_STATUS_SUCCESS.</summary>
    Success = 0,
    /// <summary>CUSOLVER_STATUS_NOT_INITIALIZED.</summary>
    NotInitialized = 1,
    /// <summary>CUSOLVER_STATUS_ALLOC_FAILED.</summary>
    AllocFailed = 2,
    /// <summary>CUSOLVER_STATUS_INVALID_VALUE.</summary>
    InvalidValue = 3,
    /// <summary>CUSOLVER_STATUS_ARCH_MISMATCH.</summary>
    ArchMismatch = 4,
    /// <summary>CUSOLVER_STATUS_EXECUTION_FAILED.</summary>
    ExecutionFailed = 6,
    /// <summary>CUSOLVER_STATUS_INTERNAL_ERROR.</summary>
    InternalError = 7,
    /// <summary>CUSOLVER_STATUS_NOT_SUPPORTED.</summary>
    NotSupported = 9,
}

/// <summary>A cuSPARSE status (<c>cusparseStatus_t</c>), which cuSPARSELt returns.</summary>
public enum CusparseStatus
{
    /// <summary>CUSPARSE_STATUS_SUCCESS.</summary>
    Success = 0,
    /// <summary>CUSPARSE_STATUS_NOT_INITIALIZED.</summary>
    NotInitialized = 1,
    /// <summary>CUSPARSE_STATUS_ALLOC_FAILED.</summary>
    AllocFailed = 2,
    /// <summary>CUSPARSE_STATUS_INVALID_VALUE.</summary>
    InvalidValue = 3,
    /// <summary>CUSPARSE_STATUS_ARCH_MISMATCH (2:4 sparse tensor cores need compute capability 8.0+).</summary>
    ArchMismatch = 4,
    /// <summary>CUSPARSE_STATUS_EXECUTION_FAILED.</summary>
    ExecutionFailed = 6,
    /// <summary>CUSPARSE_STATUS_INTERNAL_ERROR.</summary>
    InternalError = 7,
    /// <summary>CUSPARSE_STATUS_NOT_SUPPORTED.</summary>
    NotSupported = 10,
    /// <summary>CUSPARSE_STATUS_INSUFFICIENT_RESOURCES.</summary>
    InsufficientResources = 11,
}
