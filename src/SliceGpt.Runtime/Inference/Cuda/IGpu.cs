using SliceGpt.Kernels;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Forward;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>
/// The GPU as models and sessions use it: allocation, context binding, per-session work queues and a shared
/// lifetime. <see cref="CudaDevice"/> is the real one. The seam exists so the tests can run the very same session
/// code on an emulated device in host memory (without a GPU) and check its wiring against the CPU reference;
/// nothing in the engine ever substitutes another implementation.
/// </summary>
internal interface IGpu
{
    /// <summary>The device.</summary>
    CudaDeviceInfo Info { get; }

    /// <summary>True once the device's context is gone.</summary>
    bool IsReleased { get; }

    /// <summary>Makes the device's context current on this thread for the scope's lifetime.</summary>
    ContextScope Bind();

    /// <summary>Allocates <paramref name="bytes"/> of device memory; an out-of-memory failure names <paramref name="what"/>.</summary>
    IDeviceBlock Allocate(long bytes, string what);

    /// <summary>A new work queue (stream, cuBLAS handle) over storage type <typeparamref name="T"/>.</summary>
    IGpuQueue<T> CreateQueue<T>() where T : unmanaged;

    /// <summary>Takes a reference; false once released.</summary>
    bool TryAcquire();

    /// <summary>Returns a reference; the last one releases the device.</summary>
    void Release();
}

/// <summary>One device allocation.</summary>
internal interface IDeviceBlock : IDisposable
{
    /// <summary>The device address of the first byte (0 when empty).</summary>
    ulong Address { get; }

    /// <summary>The size in bytes.</summary>
    long Bytes { get; }

    /// <summary>Copies <paramref name="source"/> to <paramref name="byteOffset"/>, synchronously.</summary>
    void Upload(ReadOnlySpan<byte> source, long byteOffset);

    /// <summary>Copies bytes from <paramref name="byteOffset"/> into <paramref name="destination"/> after all queued work.</summary>
    void Download(Span<byte> destination, long byteOffset);
}

/// <summary>
/// Everything a session queues, in order, on its own stream: the kernel launches and cuBLAS calls of the forward
/// pass and the copies around them. Each method has the semantics of the launcher or BLAS call it names
/// (<see cref="CudaKernels"/>, <see cref="BlasHandle"/>), with the same shape checks. Not thread-safe.
/// </summary>
internal interface IGpuQueue<T> : IDisposable where T : unmanaged
{
    /// <summary>EmbeddingKernels.Embed, or EmbedWithPositions when <paramref name="positionTable"/> is not null.</summary>
    void Embed(DeviceMemory<int> tokens, CudaMatrix<T> table, DeviceMemory<T> output, int rows,
        DeviceMemory<int> positions, CudaMatrix<T> positionTable, int positionOffset);

    /// <summary>NormKernels.RmsNorm.</summary>
    void RmsNorm(DeviceMemory<T> x, DeviceMemory<T> y, DeviceMemory<T> weight, int rows, int width, float eps, int meanDim);

    /// <summary>NormKernels.LayerNorm.</summary>
    void LayerNorm(DeviceMemory<T> x, DeviceMemory<T> y, DeviceMemory<T> weight, DeviceMemory<T> bias, int rows, int width, float eps);

    /// <summary>RopeKernels.Apply.</summary>
    void Rope(DeviceMemory<T> qkv, DeviceMemory<int> positions, DeviceMemory<float> cos, DeviceMemory<float> sin, int rows,
        int nHeads, int nKvHeads, int headDim, int rotaryDim, RopeStyle style, int maxPositions);

    /// <summary>KvCacheKernels.Append.</summary>
    void KvAppend(DeviceMemory<T> qkv, DeviceMemory<int> positions, DeviceMemory<T> keyCache, DeviceMemory<T> valueCache,
        int rows, int seqLen, int nHeads, int nKvHeads, int headDim, int batch, int maxSeq);

    /// <summary>AttentionKernels.Attend.</summary>
    void Attend(DeviceMemory<T> qkv, DeviceMemory<T> keyCache, DeviceMemory<T> valueCache, DeviceMemory<int> positions,
        DeviceMemory<T> output, DeviceMemory<float> workspace, int rows, int seqLen, int nHeads, int nKvHeads, int headDim,
        int batch, int maxSeq, int maxPosition);

    /// <summary>ActivationKernels.SiluMul.</summary>
    void SiluMul(DeviceMemory<T> gateUp, DeviceMemory<T> output, int rows, int hidden);

    /// <summary>ActivationKernels.Relu.</summary>
    void Relu(DeviceMemory<T> x, long count);

    /// <summary>ActivationKernels.GeluNew.</summary>
    void GeluNew(DeviceMemory<T> x, long count);

    /// <summary>ElementwiseKernels.AddBias on activations.</summary>
    void AddBias(DeviceMemory<T> y, DeviceMemory<T> bias, int rows, int width);

    /// <summary>ElementwiseKernels.AddBias on fp32 logits.</summary>
    void AddBias(DeviceMemory<float> y, DeviceMemory<float> bias, int rows, int width);

    /// <summary>BlasHandle.Linear.</summary>
    void Linear(DeviceMemory<T> x, DeviceMemory<T> weight, DeviceMemory<T> y, int rows, int inFeatures, int outFeatures, bool accumulate);

    /// <summary>BlasHandle.LinearToFloat.</summary>
    void LinearToFloat(DeviceMemory<T> x, DeviceMemory<T> weight, DeviceMemory<float> y, int rows, int inFeatures, int outFeatures);

    /// <summary>BlasHandle.GemmRowMajor without transposes: C[m, n] = A[m, k]·B[k, n].</summary>
    void MatMul(DeviceMemory<T> a, int lda, DeviceMemory<T> b, int ldb, DeviceMemory<T> c, int ldc, int m, int n, int k);

    /// <summary>BlasHandle.GemmRowMajor in double without transposes: C[m, n] = A[m, k]·B[k, n].</summary>
    void MatMul(DeviceMemory<double> a, int lda, DeviceMemory<double> b, int ldb, DeviceMemory<double> c, int ldc, int m, int n, int k);

    /// <summary>LossKernels.NegLogLikelihood on fp32 logits.</summary>
    void NegLogLikelihood(DeviceMemory<float> logits, DeviceMemory<int> targets, DeviceMemory<double> nll, int rows, int vocabSize);

    /// <summary>LossKernels.ArgMax on fp32 logits.</summary>
    void ArgMax(DeviceMemory<float> logits, DeviceMemory<int> result, int rows, int vocabSize);

    /// <summary>A device-to-host copy, after the queue's earlier work; complete when the call returns.</summary>
    void Download(DeviceMemory<int> source, Span<int> destination);

    /// <summary>A host-to-device copy; the span may be reused when the call returns.</summary>
    void Upload(ReadOnlySpan<int> source, DeviceMemory<int> destination);

    /// <summary>A device-to-device copy of equal lengths.</summary>
    void Copy(DeviceMemory<T> source, DeviceMemory<T> destination);

    /// <summary>A device-to-host copy, after the queue's earlier work; complete when the call returns.</summary>
    void Download(DeviceMemory<float> source, Span<float> destination);

    /// <summary>A device-to-host copy, after the queue's earlier work; complete when the call returns.</summary>
    void Download(DeviceMemory<double> source, Span<double> destination);

    /// <summary>Waits for everything queued; surfaces asynchronous faults.</summary>
    void Synchronize();

    /// <summary>A clock that times operations queued here (CUDA events on the stream; timestamps when emulated).</summary>
    IOpClock CreateClock();

    /// <summary>The CUDA stream behind the queue, for callers that order their own work after it; null when emulated.</summary>
    CudaStream? Stream { get; }
}
