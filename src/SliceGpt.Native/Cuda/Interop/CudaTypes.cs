namespace SliceGpt.Native.Cuda.Interop;

/// <summary>The cudaDataType of the element types the GPU libraries accept.</summary>
internal static class CudaTypes
{
    internal static CudaDataType DataType<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            return CudaDataType.Real32F;
        if (typeof(T) == typeof(double))
            return CudaDataType.Real64F;
        if (typeof(T) == typeof(Half))
            return CudaDataType.Real16F;
        if (typeof(T) == typeof(BFloat16))
            return CudaDataType.Real16BF;
        throw new NotSupportedException($"{typeof(T).Name} is not a CUDA library element type (float, double, Half, BFloat16)");
    }
}
