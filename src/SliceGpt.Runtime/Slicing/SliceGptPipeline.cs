using System.Numerics;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// SliceGPT (SLICEGPT.md §2–3): fuse, then layer by layer capture each signal on the calibration tokens of the
/// already rotated and sliced model, accumulate its float64 covariance, take its principal basis and rotate and
/// slice the weights that read and write it. The calibration work runs on an <see cref="ICalibrationEngine{T}"/>
/// (the CPU here); only the current block's activations are held.
/// </summary>
public static class SliceGptPipeline
{
    /// <summary>Slices <paramref name="model"/> (which is not modified) on the CPU with <paramref name="calibration"/>.</summary>
    /// <exception cref="SlicingException">Unusable calibration data.</exception>
    /// <exception cref="Numerics.NonFiniteValueException">Non-finite activations (the message names the signal and its layer).</exception>
    public static SlicingResult<T> Slice<T>(TransformerModel<T> model, CalibrationSet calibration, SlicingOptions options,
        IProgress<SlicingProgress>? progress = null) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckInputs(model, calibration, options);
        var shell = ModelFusion.FuseShell(model);
        using var engine = new CpuCalibrationEngine<T>(shell, calibration, options.CalibrationBatch);
        var layers = new FusedLayers<T>(i => ModelFusion.FuseLayer(model.Layers[i], model.Config), model.Layers.Length);
        return new PipelineRun<T>(shell, layers, engine, options, progress).Execute((long)calibration.Rows * calibration.SeqLen);
    }

    /// <summary>
    /// Slices the checkpoint at <paramref name="modelPath"/> on the CPU, reading one block at a time from the mapped
    /// file: only one dense block is held besides the calibration activations and the sliced result.
    /// </summary>
    public static SlicingResult<float> SliceCheckpoint(string modelPath, CalibrationSet calibration, SlicingOptions options,
        IProgress<SlicingProgress>? progress = null)
    {
        using var checkpoint = ModelLoader.Open(modelPath);
        var (adapter, config, source) = (checkpoint.Adapter, checkpoint.Config, checkpoint.Source);
        var shell = adapter.LoadShell<float>(source, config);
        CheckInputs(shell, calibration, options);
        var fusedShell = ModelFusion.FuseShell(shell);
        using var engine = new CpuCalibrationEngine<float>(fusedShell, calibration, options.CalibrationBatch);
        var layers = new FusedLayers<float>(i => ModelFusion.FuseLayer(adapter.LoadLayer<float>(source, config, i), config), config.NLayers);
        return new PipelineRun<float>(fusedShell, layers, engine, options, progress).Execute((long)calibration.Rows * calibration.SeqLen);
    }

    /// <summary>
    /// Slices the checkpoint at <paramref name="modelPath"/> where <paramref name="backend"/> computes: on the CPU, or on
    /// its GPU with the calibration activations in the backend's precision (<see cref="Cuda.CudaSlicing"/>). The pipeline
    /// and its results are the same; only where the calibration runs differs.
    /// </summary>
    /// <exception cref="NotSupportedException">A backend this pipeline does not know.</exception>
    public static SlicingResult<float> SliceCheckpoint(Inference.IComputeBackend backend, string modelPath, CalibrationSet calibration,
        SlicingOptions options, IProgress<SlicingProgress>? progress = null) => backend switch
    {
        Inference.Cuda.CudaBackend cuda => Cuda.CudaSlicing.SliceCheckpoint(cuda, modelPath, calibration, options, cuda.DefaultPrecision, progress),
        Inference.Cpu.CpuBackend => SliceCheckpoint(modelPath, calibration, options, progress),
        _ => throw new NotSupportedException($"slicing runs on the CPU or CUDA backends, not on {backend.Name}"),
    };

    internal static void CheckInputs<T>(TransformerModel<T> model, CalibrationSet calibration, SlicingOptions options)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        options.Validate();
        if (calibration.SeqLen > model.Config.MaxSeqLen)
            throw new SlicingException($"calibration rows of {calibration.SeqLen} tokens exceed the model's {model.Config.MaxSeqLen} positions");
        if (model.Config.Slicing is not null || model.Layers.Any(l => l.AttentionShortcut is not null || l.MlpShortcut is not null))
            throw new SlicingException("the model is already sliced; slice the original checkpoint instead");
    }
}

/// <summary>The fused blocks of a model, produced one at a time (from memory, or streamed from a checkpoint).</summary>
/// <param name="Load">Returns fused block i.</param>
/// <param name="Count">Number of blocks.</param>
internal sealed record FusedLayers<T>(Func<int, TransformerLayer<T>> Load, int Count) where T : unmanaged, IBinaryFloatingPointIeee754<T>;

/// <summary>
/// One pipeline run: the fused model (its shell, and its blocks fetched one at a time) rewritten layer by layer with
/// the engine's calibration signals. Only the block being sliced is held in its dense form.
/// </summary>
internal sealed class PipelineRun<T>(TransformerModel<T> fused, FusedLayers<T> fusedLayers, ICalibrationEngine<T> engine,
    SlicingOptions options, IProgress<SlicingProgress>? progress) where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly int _dim = fused.Config.Dim;
    private readonly List<SignalSpectrum> _spectra = [];
    private IRotationMath Math => engine.Math;

    public SlicingResult<T> Execute(long calibrationTokens)
    {
        var c = fused.Config;
        engine.Embed();
        var (q, d) = Basis("embeddings", -1, isLast: false);
        var embedding = RotateEmbeddingTable(fused.Embedding, q, d);
        var positions = fused.Positions is null ? null : RotateEmbeddingTable(fused.Positions, q, d);
        engine.Project(q, d);
        Report(-1, "embeddings rotated");

        var layers = new TransformerLayer<T>[fusedLayers.Count];
        var widths = new LayerWidths[fusedLayers.Count];
        for (int l = 0; l < layers.Length; l++)
        {
            var dense = fusedLayers.Load(l);
            var (layer, qNext, dNext, w) = c.Block == BlockKind.Parallel
                ? SliceParallelLayer(l, dense, q, d)
                : SliceSequentialLayer(l, dense, q, d);
            layers[l] = layer;
            widths[l] = w;
            (q, d) = (qNext, dNext);
            Report(l, "layer sliced");
        }
        var head = RotateInputs(fused.Head, q, d);
        var sliced = fused with { Embedding = embedding, Positions = positions, Layers = layers, Head = head };
        return new SlicingResult<T>(sliced, widths, _spectra, calibrationTokens);
    }

    // Sequential block: PCA of the mid-block residual, then of the block output.
    private (TransformerLayer<T>, PrincipalBasis, int, LayerWidths) SliceSequentialLayer(int l, TransformerLayer<T> layer, PrincipalBasis q, int dIn)
    {
        var qkv = RotateInputs(layer.Qkv, q, dIn);
        engine.AttentionProbe(layer with { Qkv = qkv, AttentionShortcut = BackToOriginalBasis(q, dIn) });
        var (qMid, dMid) = Basis($"layer {l} mid", l, isLast: false);
        var attentionOut = RotateOutputs(layer.AttentionOut, qMid, dMid);
        var attentionShortcut = Shortcut(q, dIn, qMid, dMid);
        engine.Project(qMid, dMid);

        var up = RotateInputs(layer.Up, qMid, dMid);
        engine.MlpProbe(layer with { Qkv = qkv, AttentionOut = attentionOut, Up = up, MlpShortcut = BackToOriginalBasis(qMid, dMid) });
        var (qOut, dOut) = Basis($"layer {l} output", l, isLast: l == fusedLayers.Count - 1);
        var sliced = layer with
        {
            Qkv = qkv,
            AttentionOut = attentionOut,
            AttentionShortcut = attentionShortcut,
            Up = up,
            Down = RotateOutputs(layer.Down, qOut, dOut),
            MlpShortcut = Shortcut(qMid, dMid, qOut, dOut),
        };
        engine.Project(qOut, dOut);
        return (sliced, qOut, dOut, new LayerWidths(dIn, dMid, dOut));
    }

    // Parallel block (Phi-2): one PCA per layer, of the block output.
    private (TransformerLayer<T>, PrincipalBasis, int, LayerWidths) SliceParallelLayer(int l, TransformerLayer<T> layer, PrincipalBasis q, int dIn)
    {
        var qkv = RotateInputs(layer.Qkv, q, dIn);
        var up = RotateInputs(layer.Up, q, dIn);
        engine.ParallelProbe(layer with { Qkv = qkv, Up = up, AttentionShortcut = BackToOriginalBasis(q, dIn) });
        var (qOut, dOut) = Basis($"layer {l} output", l, isLast: l == fusedLayers.Count - 1);
        var sliced = layer with
        {
            Qkv = qkv,
            Up = up,
            AttentionOut = RotateOutputs(layer.AttentionOut, qOut, dOut),
            Down = RotateOutputs(layer.Down, qOut, dOut),
            AttentionShortcut = Shortcut(q, dIn, qOut, dOut),
        };
        engine.Project(qOut, dOut);
        return (sliced, qOut, dOut, new LayerWidths(dIn, dOut, dOut));
    }

    // The basis of the engine's current signals (oriented as asked) and the width to keep.
    private (PrincipalBasis, int) Basis(string name, int layer, bool isLast)
    {
        var basis = engine.Basis(name);
        int width = isLast && !options.SliceHead ? _dim
            : options.VarianceTarget is double target ? basis.WidthForVariance(target, options.RoundTo)
            : options.ConstantWidth(_dim);
        _spectra.Add(new SignalSpectrum(name, layer, basis.Eigenvalues, width, basis.ExplainedVariance(width)));
        if (options.Orientation == Orientation.Random)
            basis = basis.WithRandomOrientation(width, options.Seed + (ulong)_spectra.Count);
        return (basis, width);
    }

    private Matrix<T> RotateEmbeddingTable(Matrix<T> table, PrincipalBasis q, int d) =>
        DoubleMatrix.ToMatrix<T>(table.Rows, d, Math.RotateInputs(DoubleMatrix.From(table), table.Rows, _dim, q.Q, d));

    // Linears that read the rotated residual (q, k, v, MLP inputs, head): W ← (W·Q)[:, :d].
    private Linear<T> RotateInputs(Linear<T> linear, PrincipalBasis q, int d) => linear with
    {
        Weight = DoubleMatrix.ToMatrix<T>(linear.OutFeatures, d,
            Math.RotateInputs(DoubleMatrix.From(linear.Weight), linear.OutFeatures, _dim, q.Q, d)),
    };

    // Attention output / MLP output write the rotated residual: W ← (Qᵀ·W)[:d, :], b ← (Qᵀb)[:d].
    private Linear<T> RotateOutputs(Linear<T> linear, PrincipalBasis q, int d) => new(
        DoubleMatrix.ToMatrix<T>(d, linear.InFeatures, Math.RotateOutputs(q.Q, _dim, d, DoubleMatrix.From(linear.Weight), linear.InFeatures)),
        linear.Bias is null ? null : DoubleMatrix.ToVector<T>(Math.RotateOutputs(q.Q, _dim, d, DoubleMatrix.Vector<T>(linear.Bias), 1)));

    private Matrix<T> Shortcut(PrincipalBasis from, int dFrom, PrincipalBasis to, int dTo) =>
        DoubleMatrix.ToMatrix<T>(dFrom, dTo, Math.Shortcut(from.Q, dFrom, to.Q, dTo, _dim));

    // Q[:, :d]ᵀ: lets a probe write its residual in the original basis, where the next PCA is taken.
    private Matrix<T> BackToOriginalBasis(PrincipalBasis q, int d) => DoubleMatrix.ToMatrix<T>(d, _dim, DoubleMatrix.LeadingColumnsTransposed(q.Q, _dim, d));

    private void Report(int layer, string stage) => progress?.Report(new SlicingProgress(layer, fusedLayers.Count, stage));
}
