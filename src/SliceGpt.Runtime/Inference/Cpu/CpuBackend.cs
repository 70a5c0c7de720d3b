using System.Numerics;
using SliceGpt.Native.Cpu;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cpu;

/// <summary>The reference backend: OpenBLAS GEMMs and the C# operations of <see cref="CpuOps{T}"/>.</summary>
public sealed class CpuBackend : IComputeBackend
{
    /// <summary>Loads OpenBLAS now so a missing library fails here, with the packages to install.</summary>
    public CpuBackend() => CpuBlas.EnsureAvailable();

    /// <inheritdoc/>
    public string Name => "cpu";

    /// <inheritdoc/>
    public string Description => $"cpu (OpenBLAS, float32, {Environment.ProcessorCount} cores)";

    /// <inheritdoc/>
    public IExecutableModel Prepare(TransformerModel<float> model) => new CpuExecutableModel<float>(model);

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}

/// <summary>A model on the CPU: the model itself plus its precision; sessions share it.</summary>
public sealed class CpuExecutableModel<T>(TransformerModel<T> model) : IExecutableModel
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>The model the sessions run.</summary>
    public TransformerModel<T> Model { get; } = model;

    /// <inheritdoc/>
    public ModelConfig Config => Model.Config;

    /// <inheritdoc/>
    public string Backend => $"cpu (OpenBLAS, {(typeof(T) == typeof(double) ? "float64" : "float32")})";

    /// <inheritdoc/>
    public bool PagesKvCache => true;

    /// <inheritdoc/>
    public IInferenceSession CreateSession(int maxBatch, int maxSeqLen) => new CpuSession<T>(Model, maxBatch, maxSeqLen);

    /// <inheritdoc/>
    public IInferenceSession CreateSession(SessionOptions options) => new CpuSession<T>(Model, options);

    /// <inheritdoc/>
    public IInferenceSession CreateScoringSession(int maxBatch, int maxSeqLen) => new CpuSession<T>(Model, maxBatch, maxSeqLen, cachedLayers: 1);

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
