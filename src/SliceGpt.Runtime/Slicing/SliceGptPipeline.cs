using System.Numerics;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// SliceGPT on the CPU (SLICEGPT.md §2–3): fuse, then layer by layer capture each signal on the calibration
/// tokens of the already rotated and sliced model, accumulate its float64 covariance, take its principal basis and
/// rotate and slice the weights that read and write it. Only the current block's activations are held: two buffers
/// of (calibration tokens × D).
/// </summary>
public static class SliceGptPipeline
{
    /// <summary>Slices <paramref name="model"/> (which is not modified) with <paramref name="calibration"/>.</summary>
    /// <exception cref="SlicingException">Unusable calibration data or non-finite activations.</exception>
    public static SlicingResult<T> Slice<T>(TransformerModel<T> model, CalibrationSet calibration, SlicingOptions options,
        IProgress<SlicingProgress>? progress = null) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        options.Validate();
        if (calibration.SeqLen > model.Config.MaxSeqLen)
            throw new SlicingException($"calibration rows of {calibration.SeqLen} tokens exceed the model's {model.Config.MaxSeqLen} positions");
        if (model.Layers.Any(l => l.AttentionShortcut is not null || l.MlpShortcut is not null))
            throw new SlicingException("the model is already sliced; slice the original checkpoint instead");
        var run = new PipelineRun<T>(ModelFusion.Fuse(model), calibration, options, progress);
        return run.Execute();
    }
}

/// <summary>The state of one pipeline run: the fused model being rewritten and the calibration activations.</summary>
internal sealed class PipelineRun<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly TransformerModel<T> _fused;
    private readonly CalibrationSet _calibration;
    private readonly SlicingOptions _options;
    private readonly IProgress<SlicingProgress>? _progress;
    private readonly CpuSession<T> _session;
    private readonly int _dim, _batch, _tokens;
    private readonly List<SignalSpectrum> _spectra = [];
    private T[] _inputs;   // (tokens, current width) the rotated, sliced residual entering the current stage
    private T[] _signals;  // (tokens, D) a block's output in the original basis, before it is rotated

    public PipelineRun(TransformerModel<T> fused, CalibrationSet calibration, SlicingOptions options, IProgress<SlicingProgress>? progress)
    {
        _fused = fused;
        _calibration = calibration;
        _options = options;
        _progress = progress;
        _dim = fused.Config.Dim;
        _batch = Math.Min(options.CalibrationBatch, calibration.Rows);
        _tokens = calibration.Rows * calibration.SeqLen;
        _session = new CpuSession<T>(fused, _batch, calibration.SeqLen, cachedLayers: 1);
        _inputs = new T[(long)_tokens * _dim];
        _signals = new T[(long)_tokens * _dim];
    }

    public SlicingResult<T> Execute()
    {
        var c = _fused.Config;
        ForEachBatch((rows, first, count) => _session.EmbedRows(_calibration.RowSpan(first, count), count, _calibration.SeqLen, Span(_signals, first, _dim, count)));
        var (q, d) = Basis("embeddings", -1, isLast: false);
        var embedding = RotateEmbeddingTable(_fused.Embedding, q, d);
        var positions = _fused.Positions is null ? null : RotateEmbeddingTable(_fused.Positions, q, d);
        Project(q, d);
        Report(-1, "embeddings rotated");

        var layers = new TransformerLayer<T>[c.NLayers];
        var widths = new LayerWidths[c.NLayers];
        for (int l = 0; l < layers.Length; l++)
        {
            var (layer, qNext, dNext, w) = c.Block == BlockKind.Parallel
                ? SliceParallelLayer(l, _fused.Layers[l], q, d)
                : SliceSequentialLayer(l, _fused.Layers[l], q, d);
            layers[l] = layer;
            widths[l] = w;
            (q, d) = (qNext, dNext);
            Report(l, "layer sliced");
        }
        var head = new Linear<T>(DoubleMatrix.ToMatrix<T>(_fused.Head.OutFeatures, d,
            DoubleMatrix.RotateInputs(DoubleMatrix.From(_fused.Head.Weight), _fused.Head.OutFeatures, _dim, q.Q, d)), _fused.Head.Bias);
        var sliced = _fused with { Embedding = embedding, Positions = positions, Layers = layers, Head = head };
        return new SlicingResult<T>(sliced, widths, _spectra, _tokens);
    }

    // Sequential block: PCA of the mid-block residual, then of the block output.
    private (TransformerLayer<T>, PrincipalBasis, int, LayerWidths) SliceSequentialLayer(int l, TransformerLayer<T> layer, PrincipalBasis q, int dIn)
    {
        var qkv = RotateAttentionInputs(layer.Qkv, q, dIn);
        var probe = layer with { Qkv = qkv, AttentionShortcut = BackToOriginalBasis(q, dIn) };
        ForEachBatch((rows, first, count) => _session.AttentionResidual(probe, Span(_inputs, first, dIn, count), Span(_signals, first, _dim, count), count, _calibration.SeqLen));
        var (qMid, dMid) = Basis($"layer {l} mid", l, isLast: false);
        var attentionOut = RotateOutputs(layer.AttentionOut, qMid, dMid);
        var attentionShortcut = Shortcut(q, dIn, qMid, dMid);
        Project(qMid, dMid);

        var up = RotateAttentionInputs(layer.Up, qMid, dMid);
        var mlpProbe = layer with { Qkv = qkv, AttentionOut = attentionOut, Up = up, MlpShortcut = BackToOriginalBasis(qMid, dMid) };
        ForEachBatch((rows, first, count) =>
            _session.MlpResidual(mlpProbe, Span(_inputs, first, dMid, count), Span(_signals, first, _dim, count), rows));
        var (qOut, dOut) = Basis($"layer {l} output", l, isLast: l == _fused.Layers.Length - 1);
        var sliced = layer with
        {
            Qkv = qkv,
            AttentionOut = attentionOut,
            AttentionShortcut = attentionShortcut,
            Up = up,
            Down = RotateOutputs(layer.Down, qOut, dOut),
            MlpShortcut = Shortcut(qMid, dMid, qOut, dOut),
        };
        Project(qOut, dOut);
        return (sliced, qOut, dOut, new LayerWidths(dIn, dMid, dOut));
    }

    // Parallel block (Phi-2): one PCA per layer, of the block output.
    private (TransformerLayer<T>, PrincipalBasis, int, LayerWidths) SliceParallelLayer(int l, TransformerLayer<T> layer, PrincipalBasis q, int dIn)
    {
        var qkv = RotateAttentionInputs(layer.Qkv, q, dIn);
        var up = RotateAttentionInputs(layer.Up, q, dIn);
        var probe = layer with { Qkv = qkv, Up = up, AttentionShortcut = BackToOriginalBasis(q, dIn) };
        ForEachBatch((rows, first, count) => _session.ParallelBlock(probe, Span(_inputs, first, dIn, count), Span(_signals, first, _dim, count), count, _calibration.SeqLen));
        var (qOut, dOut) = Basis($"layer {l} output", l, isLast: l == _fused.Layers.Length - 1);
        var sliced = layer with
        {
            Qkv = qkv,
            Up = up,
            AttentionOut = RotateOutputs(layer.AttentionOut, qOut, dOut),
            Down = RotateOutputs(layer.Down, qOut, dOut),
            AttentionShortcut = Shortcut(q, dIn, qOut, dOut),
        };
        Project(qOut, dOut);
        return (sliced, qOut, dOut, new LayerWidths(dIn, dOut, dOut));
    }

    // The covariance of the signals now in _signals, its basis (oriented as asked) and the width to keep.
    private (PrincipalBasis, int) Basis(string name, int layer, bool isLast)
    {
        var covariance = new CovarianceAccumulator(_dim);
        ForEachBatch((rows, first, count) => covariance.Add<T>(Span(_signals, first, _dim, count), rows));
        var basis = PrincipalBasis.FromCovariance(covariance.Covariance(name), _dim);
        int width = isLast && !_options.SliceHead ? _dim
            : _options.VarianceTarget is double target ? basis.WidthForVariance(target, _options.RoundTo)
            : _options.ConstantWidth(_dim);
        _spectra.Add(new SignalSpectrum(name, layer, basis.Eigenvalues, width, basis.ExplainedVariance(width)));
        if (_options.Orientation == Orientation.Random)
            basis = basis.WithRandomOrientation(width, _options.Seed + (ulong)_spectra.Count);
        return (basis, width);
    }

    // _inputs ← _signals·Q[:, :d]: the rotated, sliced residual the next stage reads.
    private void Project(PrincipalBasis q, int d)
    {
        var leading = new T[_dim * d];
        for (int r = 0; r < _dim; r++)
            for (int k = 0; k < d; k++)
                leading[r * d + k] = T.CreateTruncating(q.Q[r * _dim + k]);
        ForEachBatch((rows, first, count) => PartitionedGemm.Gemm(false, rows, d, _dim, T.One, Span(_signals, first, _dim, count), _dim,
            leading, d, T.Zero, Span(_inputs, first, d, count), d));
    }

    private Matrix<T> RotateEmbeddingTable(Matrix<T> table, PrincipalBasis q, int d) =>
        DoubleMatrix.ToMatrix<T>(table.Rows, d, DoubleMatrix.RotateInputs(DoubleMatrix.From(table), table.Rows, _dim, q.Q, d));

    // q, k, v (or the MLP inputs) read the rotated residual: W ← (W·Q)[:, :d].
    private Linear<T> RotateAttentionInputs(Linear<T> linear, PrincipalBasis q, int d) => linear with
    {
        Weight = DoubleMatrix.ToMatrix<T>(linear.OutFeatures, d,
            DoubleMatrix.RotateInputs(DoubleMatrix.From(linear.Weight), linear.OutFeatures, _dim, q.Q, d)),
    };

    // Attention output / MLP output write the rotated residual: W ← (Qᵀ·W)[:d, :], b ← (Qᵀb)[:d].
    private Linear<T> RotateOutputs(Linear<T> linear, PrincipalBasis q, int d) => new(
        DoubleMatrix.ToMatrix<T>(d, linear.InFeatures, DoubleMatrix.RotateOutputs(q.Q, _dim, d, DoubleMatrix.From(linear.Weight), linear.InFeatures)),
        linear.Bias is null ? null : DoubleMatrix.ToVector<T>(DoubleMatrix.RotateOutputs(q.Q, _dim, d, DoubleMatrix.Vector<T>(linear.Bias), 1)));

    private Matrix<T> Shortcut(PrincipalBasis from, int dFrom, PrincipalBasis to, int dTo) =>
        DoubleMatrix.ToMatrix<T>(dFrom, dTo, DoubleMatrix.Shortcut(from.Q, dFrom, to.Q, dTo, _dim));

    // Q[:, :d]ᵀ: lets a probe write its residual in the original basis, where the next PCA is taken.
    private Matrix<T> BackToOriginalBasis(PrincipalBasis q, int d) => DoubleMatrix.ToMatrix<T>(d, _dim, DoubleMatrix.LeadingColumnsTransposed(q.Q, _dim, d));

    private delegate void BatchAction(int rows, int firstRow, int rowCount);

    // Runs over the calibration set batch by batch; rows = tokens in the batch.
    private void ForEachBatch(BatchAction action)
    {
        for (int first = 0; first < _calibration.Rows; first += _batch)
        {
            int count = Math.Min(_batch, _calibration.Rows - first);
            action(count * _calibration.SeqLen, first, count);
        }
    }

    private Span<T> Span(T[] buffer, int firstRow, int width, int rowCount) =>
        buffer.AsSpan(firstRow * _calibration.SeqLen * width, rowCount * _calibration.SeqLen * width);

    private void Report(int layer, string stage) => _progress?.Report(new SlicingProgress(layer, _fused.Layers.Length, stage));
}
