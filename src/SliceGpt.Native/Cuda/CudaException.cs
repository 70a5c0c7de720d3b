namespace SliceGpt.Native.Cuda;

/// <summary>A CUDA library call returned an error status.</summary>
public class CudaException : Exception
{
    /// <summary>The library that failed: "CUDA driver", "NVRTC", "cuBLAS", "cuSOLVER" or "cuSPARSELt".</summary>
    public string Library { get; }

    /// <summary>The raw status code the call returned.</summary>
    public int StatusCode { get; }

    /// <summary>The status's symbolic name (for example CUDA_ERROR_OUT_OF_MEMORY).</summary>
    public string StatusName { get; }

    /// <summary>The source text of the failing call, when known.</summary>
    public string? Call { get; }

    /// <summary>Creates the exception; <paramref name="detail"/> is the library's own description, if any.</summary>
    public CudaException(string library, int statusCode, string statusName, string? call, string? detail = null)
        : base($"{library} call failed with {statusName} ({statusCode})"
            + (string.IsNullOrEmpty(detail) ? "" : $": {detail}")
            + (call is null ? "" : $" in `{call}`"))
    {
        Library = library;
        StatusCode = statusCode;
        StatusName = statusName;
        Call = call;
    }
}
