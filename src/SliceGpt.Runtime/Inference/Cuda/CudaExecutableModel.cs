using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>
/// A model whose weights live on the GPU in storage type <typeparamref name="T"/> (float, Half or BFloat16),
/// uploaded once by <see cref="CudaBackend.Prepare(TransformerModel{float}, CudaPrecision)"/>. Immutable and
/// thread-safe: sessions may be created from any thread and share the weights. Each session keeps the weights
/// alive, so disposing the model frees the device memory when its last session is disposed.
/// </summary>
public sealed class CudaExecutableModel<T> : IExecutableModel where T : unmanaged
{
    private readonly SharedLifetime _lifetime;
    private int _disposed;

    internal CudaExecutableModel(IGpu device, TransformerModel<float> model, bool shareRepeatedTensors = true)
    {
        if (!device.TryAcquire())
            throw new ObjectDisposedException(nameof(CudaBackend), "the CUDA backend has been disposed");
        try
        {
            Device = device;
            Config = model.Config;
            Precision = CudaPrecisionExtensions.Of<T>();
            using var scope = device.Bind();
            Weights = CudaModelWeights<T>.Upload(device, model, shareRepeatedTensors);
        }
        catch
        {
            device.Release();
            throw;
        }
        _lifetime = new SharedLifetime(() =>
        {
            Weights.Dispose();
            Device.Release();
        });
    }

    /// <inheritdoc/>
    public ModelConfig Config { get; }

    /// <summary>The storage precision of weights and activations.</summary>
    public CudaPrecision Precision { get; }

    /// <summary>The GPU the model lives on.</summary>
    public CudaDeviceInfo DeviceInfo => Device.Info;

    /// <summary>Device memory held by the weights, in bytes.</summary>
    public long WeightBytes => Weights.Bytes;

    /// <inheritdoc/>
    public string Backend => $"cuda ({Device.Info.Name}, {Precision.ShortName()} weights and activations, fp32 accumulation)";

    /// <inheritdoc/>
    /// <remarks>Not yet: the kernels address one KV block per slot.</remarks>
    public bool PagesKvCache => false;

    internal IGpu Device { get; }

    internal CudaModelWeights<T> Weights { get; }

    /// <summary>True once the weights have been freed (the model and all its sessions disposed).</summary>
    internal bool IsReleased => _lifetime.IsReleased;

    /// <summary>
    /// A session with its own stream, cuBLAS handle, activations and KV cache for <paramref name="maxBatch"/> rows of
    /// <paramref name="maxSeqLen"/> tokens, all allocated now.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The model has been disposed.</exception>
    public CudaSession<T> CreateSession(int maxBatch, int maxSeqLen) => CreateSession(new SessionOptions(maxBatch, maxSeqLen));

    IInferenceSession IExecutableModel.CreateSession(int maxBatch, int maxSeqLen) => CreateSession(maxBatch, maxSeqLen);

    /// <summary>A session of the given shape; the GPU does not page its KV cache yet (the block size must be the slot length).</summary>
    /// <exception cref="NotSupportedException">A block size below the slot length.</exception>
    public CudaSession<T> CreateSession(SessionOptions options) => new(this, options, Config.NLayers);

    IInferenceSession IExecutableModel.CreateSession(SessionOptions options) => CreateSession(options);

    /// <summary>A session whose KV cache holds one layer, reused by every layer: passes must start at position 0 (see <see cref="IExecutableModel.CreateScoringSession"/>).</summary>
    public CudaSession<T> CreateScoringSession(int maxBatch, int maxSeqLen) => new(this, new SessionOptions(maxBatch, maxSeqLen), 1);

    IInferenceSession IExecutableModel.CreateScoringSession(int maxBatch, int maxSeqLen) => CreateScoringSession(maxBatch, maxSeqLen);

    /// <summary>A session whose KV cache holds one layer: the slicing pipeline runs single blocks through it.</summary>
    internal CudaSession<T> CreateBlockSession(int maxBatch, int maxSeqLen) => new(this, new SessionOptions(maxBatch, maxSeqLen), 1);

    /// <summary>Uploads one (probe) block in this model's precision; the caller owns the result.</summary>
    internal CudaLayerUpload<T> UploadLayer(TransformerLayer<float> layer)
    {
        ObjectDisposedException.ThrowIf(IsReleased, this);
        using var scope = Device.Bind();
        return CudaLayerUpload<T>.Upload(Device, layer);
    }

    /// <summary>Takes a reference for a new session.</summary>
    internal void Acquire()
    {
        if (Volatile.Read(ref _disposed) != 0 || !_lifetime.TryAcquire())
            throw new ObjectDisposedException(GetType().Name, "the CUDA model has been disposed");
    }

    /// <summary>Returns a session's reference.</summary>
    internal void Release() => _lifetime.Release();

    /// <summary>Gives up the model's own reference; the weights go when the last session is disposed. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _lifetime.Release();
    }
}
