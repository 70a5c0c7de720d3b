using SliceGpt.Runtime.Inference.Cuda;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Runtime.Slicing.Cuda;

/// <summary>
/// SliceGPT on a GPU: the same pipeline as <see cref="SliceGptPipeline"/> (the same fusion, signals, float64 PCA,
/// rotations and widths) with the calibration activations, covariances, eigendecompositions and rotation products on
/// the device. From a checkpoint, blocks are streamed from the memory-mapped file one at a time, so only one dense
/// block (and the sliced result on the host) is held besides the calibration activations.
/// </summary>
public static class CudaSlicing
{
    /// <summary>Slices an in-memory model; activations are stored on the GPU in <paramref name="precision"/>.</summary>
    public static SlicingResult<float> Slice(CudaBackend backend, TransformerModel<float> model, CalibrationSet calibration,
        SlicingOptions options, CudaPrecision precision = CudaPrecision.Float32, IProgress<SlicingProgress>? progress = null) =>
        Slice(backend, model, calibration, options, precision, progress, ActivationResidence.Auto);

    /// <summary>As the public overload, with the activations' residence forced (tests of the host-staged path).</summary>
    internal static SlicingResult<float> Slice(CudaBackend backend, TransformerModel<float> model, CalibrationSet calibration,
        SlicingOptions options, CudaPrecision precision, IProgress<SlicingProgress>? progress, ActivationResidence residence)
    {
        SliceGptPipeline.CheckInputs(model, calibration, options);
        var layers = new FusedLayers<float>(i => ModelFusion.FuseLayer(model.Layers[i], model.Config), model.Layers.Length);
        return Run(backend, ModelFusion.FuseShell(model with { Layers = [] }), layers, calibration, options, precision, progress, residence);
    }

    /// <summary>Slices the checkpoint at <paramref name="modelPath"/>, reading one block at a time from the mapped file.</summary>
    public static SlicingResult<float> SliceCheckpoint(CudaBackend backend, string modelPath, CalibrationSet calibration,
        SlicingOptions options, CudaPrecision precision = CudaPrecision.Float32, IProgress<SlicingProgress>? progress = null)
    {
        using var checkpoint = ModelLoader.Open(modelPath);
        var (adapter, config, source) = (checkpoint.Adapter, checkpoint.Config, checkpoint.Source);
        var shell = adapter.LoadShell<float>(source, config);
        SliceGptPipeline.CheckInputs(shell, calibration, options);
        var layers = new FusedLayers<float>(i => ModelFusion.FuseLayer(adapter.LoadLayer<float>(source, config, i), config), config.NLayers);
        return Run(backend, ModelFusion.FuseShell(shell), layers, calibration, options, precision, progress, ActivationResidence.Auto);
    }

    private static SlicingResult<float> Run(CudaBackend backend, TransformerModel<float> fusedShell, FusedLayers<float> layers,
        CalibrationSet calibration, SlicingOptions options, CudaPrecision precision, IProgress<SlicingProgress>? progress,
        ActivationResidence residence)
    {
        using ICalibrationEngine<float> engine = precision switch
        {
            CudaPrecision.Float16 => new CudaCalibrationEngine<Half>(backend, fusedShell, calibration, options.CalibrationBatch, residence),
            CudaPrecision.BFloat16 => new CudaCalibrationEngine<SliceGpt.Native.Cuda.BFloat16>(backend, fusedShell, calibration, options.CalibrationBatch, residence),
            _ => new CudaCalibrationEngine<float>(backend, fusedShell, calibration, options.CalibrationBatch, residence),
        };
        return new PipelineRun<float>(fusedShell, layers, engine, options, progress).Execute((long)calibration.Rows * calibration.SeqLen);
    }
}
