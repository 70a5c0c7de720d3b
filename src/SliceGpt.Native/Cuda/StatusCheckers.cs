using System.Runtime.CompilerServices;
using SliceGpt.Native.Cuda.Interop;

namespace SliceGpt.Native.Cuda;

/// <summary>Checks CUDA driver results: every driver call goes through <see cref="ThrowIfFailed"/>.</summary>
public static class CuCheck
{
    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless the call succeeded.</summary>
    public static void ThrowIfFailed(CuResult status, [CallerArgumentExpression(nameof(status))] string? call = null)
    {
        if (status != CuResult.Success)
            throw Create(status, call);
    }

    internal static CudaException Create(CuResult status, string? call)
    {
        var (name, text) = CuDriver.Describe(status);
        return new CudaException("CUDA driver", (int)status, name, call, text);
    }
}

/// <summary>Checks NVRTC results.</summary>
public static class NvrtcCheck
{
    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless the call succeeded.</summary>
    public static void ThrowIfFailed(NvrtcResult status, [CallerArgumentExpression(nameof(status))] string? call = null)
    {
        if (status != NvrtcResult.Success)
            throw new CudaException("NVRTC", (int)status, Nvrtc.Describe(status), call);
    }
}

/// <summary>Checks cuBLAS statuses.</summary>
public static class CublasCheck
{
    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless the call succeeded.</summary>
    public static void ThrowIfFailed(CublasStatus status, [CallerArgumentExpression(nameof(status))] string? call = null)
    {
        if (status != CublasStatus.Success)
            throw new CudaException("cuBLAS", (int)status, StatusNames.Of("CUBLAS_STATUS_", status), call);
    }
}

/// <summary>Checks cuSOLVER statuses.</summary>
public static class CusolverCheck
{
    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless the call succeeded.</summary>
    public static void ThrowIfFailed(CusolverStatus status, [CallerArgumentExpression(nameof(status))] string? call = null)
    {
        if (status != CusolverStatus.Success)
            throw new CudaException("cuSOLVER", (int)status, StatusNames.Of("CUSOLVER_STATUS_", status), call);
    }
}

/// <summary>Checks cuSPARSELt statuses.</summary>
public static class CusparseLtCheck
{
    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless the call succeeded.</summary>
    public static void ThrowIfFailed(CusparseStatus status, [CallerArgumentExpression(nameof(status))] string? call = null)
    {
        if (status != CusparseStatus.Success)
            throw new CudaException("cuSPARSELt", (int)status, StatusNames.Of("CUSPARSE_STATUS_", status), call);
    }
}

internal static class StatusNames
{
    // InvalidValue -> INVALID_VALUE; an unnamed code prints as its number.
    internal static string Of<TStatus>(string prefix, TStatus status) where TStatus : struct, Enum
    {
        if (!Enum.IsDefined(status))
            return prefix + "UNKNOWN";
        var name = status.ToString();
        var builder = new System.Text.StringBuilder(prefix, prefix.Length + name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
                builder.Append('_');
            builder.Append(char.ToUpperInvariant(name[i]));
        }
        return builder.ToString();
    }
}
