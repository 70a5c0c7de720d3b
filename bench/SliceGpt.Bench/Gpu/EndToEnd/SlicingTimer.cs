using System.Diagnostics;
using SliceGpt.Runtime.Slicing;

namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>One slicing-time measurement: a LLAMA-2-7B-shaped model sliced on the GPU with random calibration tokens.</summary>
/// <param name="Samples">Calibration sequences.</param>
/// <param name="SeqLen">Tokens per sequence.</param>
/// <param name="Layers">Blocks of the model: 32 (LLAMA-2 7B), or fewer for the smoke suite, which extrapolates.</param>
/// <param name="FullLayers">The real model's block count, for the extrapolation (32).</param>
/// <param name="BudgetSeconds">Wall time after which the run stops at the next layer boundary and extrapolates.</param>
/// <param name="Order">Position in its suite.</param>
public sealed record SlicingTimeCase(int Samples, int SeqLen, int Layers, int FullLayers, double BudgetSeconds, int Order)
    : IComparable<SlicingTimeCase>, IComparable
{
    /// <summary>The slicing fraction: 30%, as the paper's Table 3 (its times barely depend on it).</summary>
    public const double Sparsity = 0.30;

    /// <summary>A unique, stable name.</summary>
    public string Id => $"llama-2-7b shapes, {Layers} layers, {Samples}x{SeqLen} calibration";

    /// <inheritdoc/>
    public override string ToString() => Id;

    /// <summary>Suite order.</summary>
    public int CompareTo(SlicingTimeCase? other) => other is null ? 1 : Order.CompareTo(other.Order);

    /// <inheritdoc/>
    public int CompareTo(object? obj) => CompareTo(obj as SlicingTimeCase);
}

/// <summary>The run went past its time budget; thrown from the progress callback at a layer boundary, which ends the run.</summary>
internal sealed class SlicingBudgetExceededException(double seconds) : Exception($"stopped at the time budget ({seconds:F0} s)");

/// <summary>What a slicing run's progress reports say about where its time went.</summary>
/// <param name="TotalSeconds">Wall time of <c>CudaSlicing.Slice</c> (to the stop, when stopped).</param>
/// <param name="SetupSeconds">Until the embeddings were rotated: fusing the head on the host, the engine's device buffers, the shell's upload, the embeddings' signals, the first PCA.</param>
/// <param name="LayerSeconds">Each layer that finished: its two probes, two PCAs, rotations and projections.</param>
/// <param name="HeadSeconds">After the last layer (rotating the head); NaN when the run stopped before.</param>
/// <param name="Completed">True when every layer finished.</param>
internal sealed record SlicingPhases(double TotalSeconds, double SetupSeconds, IReadOnlyList<double> LayerSeconds, double HeadSeconds, bool Completed)
{
    /// <summary>The median layer time (NaN when none finished).</summary>
    public double MedianLayerSeconds => Support.GpuTimings.Quantile(LayerSeconds, 0.5);

    /// <summary>
    /// The time of the same run on <paramref name="layers"/> blocks: the measured time plus the median layer time for
    /// each block not run. A run stopped before the head gives a lower bound (the head's rotation is not in it).
    /// </summary>
    public double Extrapolate(int layers) =>
        TotalSeconds + Math.Max(0, layers - LayerSeconds.Count) * (LayerSeconds.Count == 0 ? double.NaN : MedianLayerSeconds);

    /// <summary>Phases from the progress reports' timestamps (seconds since the start, in order) and the end time.</summary>
    /// <param name="reports">(layer, seconds) per report: layer −1 for the embeddings, then 0, 1, ….</param>
    /// <param name="endSeconds">When the run returned or stopped.</param>
    /// <param name="layers">The model's block count.</param>
    public static SlicingPhases From(IReadOnlyList<(int Layer, double Seconds)> reports, double endSeconds, int layers)
    {
        var embedding = reports.FirstOrDefault(r => r.Layer < 0);
        double setup = reports.Any(r => r.Layer < 0) ? embedding.Seconds : double.NaN;
        var layerEnds = reports.Where(r => r.Layer >= 0).Select(r => r.Seconds).ToList();
        var layerSeconds = layerEnds.Select((t, i) => t - (i == 0 ? setup : layerEnds[i - 1])).ToList();
        bool completed = layerEnds.Count == layers;
        double head = completed ? endSeconds - layerEnds[^1] : double.NaN;
        return new SlicingPhases(endSeconds, setup, layerSeconds, head, completed);
    }
}

/// <summary>
/// Timestamps a slicing run's progress reports (called synchronously on the pipeline's thread, once after the
/// embeddings and once per layer) and stops it at the first report past the budget.
/// </summary>
internal sealed class SlicingTimer(double budgetSeconds) : IProgress<SlicingProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(int Layer, double Seconds)> _reports = [];

    /// <summary>The reports so far: (layer, seconds since the start).</summary>
    public IReadOnlyList<(int Layer, double Seconds)> Reports => _reports;

    /// <summary>Seconds since the timer started.</summary>
    public double Elapsed => _clock.Elapsed.TotalSeconds;

    /// <inheritdoc/>
    /// <exception cref="SlicingBudgetExceededException">The budget is spent: the run ends here, at a layer boundary.</exception>
    public void Report(SlicingProgress value)
    {
        double now = Elapsed;
        _reports.Add((value.Layer, now));
        // Stop only while layers remain: past the last one, finishing the head costs less than a layer.
        if (now > budgetSeconds && value.Layer < value.Layers - 1)
            throw new SlicingBudgetExceededException(budgetSeconds);
    }
}
