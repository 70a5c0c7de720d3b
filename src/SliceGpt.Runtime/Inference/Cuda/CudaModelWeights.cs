using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>
/// A whole model's weights on the GPU in storage type <typeparamref name="T"/>, in one arena it owns: the
/// device form of <see cref="TransformerModel{T}"/>. The head bias stays fp32 because it is added to fp32 logits.
/// </summary>
internal sealed class CudaModelWeights<T> : IDisposable where T : unmanaged
{
    private readonly DeviceArena? _arena;

    private CudaModelWeights(DeviceArena? arena, TransformerModel<float> model, WeightUploader<T> up)
    {
        _arena = arena;
        Embedding = new CudaMatrix<T>(up.Tensor(model.Embedding.Data), model.Embedding.Rows, model.Embedding.Cols);
        Positions = model.Positions is null ? default
            : new CudaMatrix<T>(up.Tensor(model.Positions.Data), model.Positions.Rows, model.Positions.Cols);
        Layers = model.Layers.Select(up.Layer).ToArray();
        FinalNorm = up.Norm(model.FinalNorm);
        Head = new CudaLinear<T>(up.Tensor(model.Head.Weight.Data), default, model.Head.InFeatures, model.Head.OutFeatures);
        HeadBias = up.Float32(model.Head.Bias);
    }

    /// <summary>Token embedding [vocab, DIn of layer 0].</summary>
    public CudaMatrix<T> Embedding { get; }

    /// <summary>OPT's learned positions [maxPositions + offset, DIn of layer 0]; Data is null for rotary models.</summary>
    public CudaMatrix<T> Positions { get; }

    /// <summary>The blocks.</summary>
    public CudaLayer<T>[] Layers { get; }

    /// <summary>The norm before the head.</summary>
    public CudaNorm<T> FinalNorm { get; }

    /// <summary>The head's weight [vocab, DOut of the last layer] (its bias is <see cref="HeadBias"/>).</summary>
    public CudaLinear<T> Head { get; }

    /// <summary>The head's bias [vocab] in fp32, or null.</summary>
    public DeviceMemory<float> HeadBias { get; }

    /// <summary>Device bytes held.</summary>
    public long Bytes => _arena?.Bytes ?? 0;

    /// <summary>Uploads <paramref name="model"/> (plans the arena, allocates it once, converts and copies each tensor once).</summary>
    /// <param name="gpu">The device.</param>
    /// <param name="model">The host model.</param>
    /// <param name="shareRepeatedTensors">False: a host array used by several blocks gets a device copy per block (<see cref="WeightUploader{T}"/>).</param>
    public static CudaModelWeights<T> Upload(IGpu gpu, TransformerModel<float> model, bool shareRepeatedTensors = true)
    {
        var up = new WeightUploader<T>(shareRepeatedTensors);
        _ = new CudaModelWeights<T>(null, model, up);
        var arena = up.Allocate(gpu, $"the {CudaPrecisionExtensions.Of<T>().ShortName()} weights of a {model.Config.ArchitectureName} model");
        try
        {
            return new CudaModelWeights<T>(arena, model, up);
        }
        catch
        {
            arena.Dispose();
            throw;
        }
    }

    /// <summary>Frees the weights; idempotent.</summary>
    public void Dispose() => _arena?.Dispose();
}

/// <summary>
/// One block uploaded on its own (the slicing pipeline's partially rotated probe layers), owning its arena.
/// </summary>
internal sealed class CudaLayerUpload<T> : IDisposable where T : unmanaged
{
    private readonly DeviceArena _arena;

    private CudaLayerUpload(DeviceArena arena, CudaLayer<T> layer)
    {
        _arena = arena;
        Layer = layer;
    }

    /// <summary>The block's device views, valid until this object is disposed.</summary>
    public CudaLayer<T> Layer { get; }

    /// <summary>Uploads <paramref name="layer"/> in storage type T.</summary>
    public static CudaLayerUpload<T> Upload(IGpu gpu, TransformerLayer<float> layer)
    {
        var up = new WeightUploader<T>();
        up.Layer(layer);
        var arena = up.Allocate(gpu, "a probe block");
        try
        {
            return new CudaLayerUpload<T>(arena, up.Layer(layer));
        }
        catch
        {
            arena.Dispose();
            throw;
        }
    }

    /// <summary>Frees the block; idempotent.</summary>
    public void Dispose() => _arena.Dispose();
}
