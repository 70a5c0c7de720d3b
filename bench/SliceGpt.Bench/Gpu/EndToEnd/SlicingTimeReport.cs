using SliceGpt.Bench.Support;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;

namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>The slicing-time suites' columns.</summary>
internal static class SlicingTimeColumns
{
    /// <summary>Every column, in display order.</summary>
    public static IColumn[] All { get; } =
    [
        Column("Layers", "Blocks of the 7B-shaped model sliced (the smoke suite slices 2 and extrapolates)", r => r.Case.Layers.ToString(CultureInfo.InvariantCulture)),
        Column("Calibration", "Random calibration sequences x tokens, fp16 activations on the GPU", r => $"{r.Case.Samples}x{r.Case.SeqLen}"),
        Column("Wall s", "Wall time of CudaSlicing.Slice (to the stop, when stopped at the budget)", r => Seconds(r.Phases?.TotalSeconds)),
        Column("Layer s", "Median time per layer: two probes, two float64 PCAs, rotations, projections", r => Seconds(r.Phases?.MedianLayerSeconds)),
        Column("32-layer s", "Measured time plus the median layer for every block not run (a lower bound when stopped before the head)",
            r => Seconds(r.Phases?.Extrapolate(r.Case.FullLayers))),
        Column("Status", "completed, stopped at the time budget, or why it could not run", r => r.Status),
    ];

    internal static string Seconds(double? value) =>
        value is double v && double.IsFinite(v) ? v.ToString("F1", CultureInfo.InvariantCulture) : "NA";

    private static IColumn Column(string name, string legend, Func<SlicingTimeResult, string> value) =>
        new SuiteColumn<SlicingTimeCase>(name, legend,
            (_, c) => SlicingTimeSuite.Results.TryGetValue(c.Id, out var r) ? value(r) : "NA", false);
}

/// <summary>
/// Writes the slicing-time results beside BenchmarkDotNet's reports: <c>*-slicing-time.md</c> (with the paper's
/// reference time) and <c>*-slicing-time.csv</c>.
/// </summary>
internal sealed class SlicingTimeExporter(EndToEndFormat format) : TextExporter($"SliceGpt.SlicingTime.{format}",
    format == EndToEndFormat.Markdown ? "slicing-time.md" : "slicing-time.csv", echo: format == EndToEndFormat.Markdown)
{
    /// <summary>The paper's Table 3: LLAMA-2 7B sliced 30% with 1024 calibration samples on one H100 80GB.</summary>
    public const double PaperMinutes = 44;

    /// <summary>This engine's target for the same run on one H100.</summary>
    public const double TargetMinutes = 4;

    protected override IEnumerable<string> Render(Summary summary)
    {
        var results = SuiteColumn<SlicingTimeCase>.CasesOf(summary)
            .Select(c => SlicingTimeSuite.Results.TryGetValue(c.Id, out var r) ? r : new SlicingTimeResult(c, double.NaN, null, "not run (see the log)"))
            .ToList();
        return format == EndToEndFormat.Markdown ? Markdown(results) : Csv(results);
    }

    /// <summary>The markdown report.</summary>
    internal static IEnumerable<string> Markdown(IReadOnlyList<SlicingTimeResult> results)
    {
        yield return "## Slicing time on one GPU (paper Table 3)";
        yield return "";
        yield return $"{ExportFiles.DeviceLine()} LLAMA-2 7B's shapes with random weights, sliced {SlicingTimeCase.Sparsity * 100:F0}% by " +
                     "`CudaSlicing.Slice` (fp16 calibration activations on the GPU, float64 covariances and eigendecompositions), " +
                     "random calibration tokens. The paper's reference took " +
                     $"{PaperMinutes:F0} minutes for LLAMA-2 7B with 1024 samples on one H100 80GB; this engine's target is at most {TargetMinutes:F0} minutes.";
        yield return "";
        yield return "| Layers | Calibration | Wall (s) | Setup + embeddings (s) | Per layer, median (min-max) (s) | Head (s) | 32 layers (min) | vs paper's 44 min | Host model build (s) | Status |";
        yield return "|--:|---|--:|--:|--:|--:|--:|--:|--:|---|";
        foreach (var r in results)
        {
            var p = r.Phases;
            double full = p?.Extrapolate(r.Case.FullLayers) ?? double.NaN;
            string estimate = p is null ? "NA" : (p.Completed ? "" : ">= ") + (full / 60).ToString("F1", CultureInfo.InvariantCulture)
                + (r.Case.Layers == r.Case.FullLayers && p.Completed ? "" : " (extrapolated)");
            string range = p is null || p.LayerSeconds.Count == 0 ? "NA"
                : $"{SlicingTimeColumns.Seconds(p.MedianLayerSeconds)} ({SlicingTimeColumns.Seconds(p.LayerSeconds.Min())}-{SlicingTimeColumns.Seconds(p.LayerSeconds.Max())})";
            string speedup = r.Case.Samples == 1024 && double.IsFinite(full) ? $"{PaperMinutes * 60 / full:F1}x faster" : "-";
            yield return $"| {r.Case.Layers} | {r.Case.Samples}x{r.Case.SeqLen} | {SlicingTimeColumns.Seconds(p?.TotalSeconds)} | " +
                         $"{SlicingTimeColumns.Seconds(p?.SetupSeconds)} | {range} | {SlicingTimeColumns.Seconds(p?.HeadSeconds)} | {estimate} | {speedup} | " +
                         $"{SlicingTimeColumns.Seconds(r.HostBuildSeconds)} | {r.Status} |";
        }
        yield return "";
        yield return "Notes. Wall time of the call, from a stopwatch; phases from the pipeline's progress reports (after the embeddings, " +
                     "after each layer). Setup + embeddings: fusing the final norm into the head on the host, the calibration buffers, " +
                     "the shell's upload, the embeddings' signals and first PCA, the embedding's rotation. A layer: both probe blocks over " +
                     "every calibration token, two DSYRK covariances and DSYEVD eigendecompositions, the host-side fusion and the float64 " +
                     "rotation products. 32 layers: the measured time plus the median layer for each block not run; \">=\" when the run was " +
                     "stopped at its time budget before the head. The paper's 44 minutes (Table 3, 30%, 1024 samples, PyTorch on one " +
                     "H100 80GB) used real WikiText-2 text; the time does not depend on the token values.";
    }

    private static IEnumerable<string> Csv(IReadOnlyList<SlicingTimeResult> results)
    {
        yield return "layers,samples,seq_len,sparsity,wall_s,setup_s,median_layer_s,min_layer_s,max_layer_s,head_s,estimate_32_layers_s,completed,host_build_s,status,device";
        foreach (var r in results)
        {
            var p = r.Phases;
            bool any = p is not null && p.LayerSeconds.Count > 0;
            yield return string.Join(",", r.Case.Layers, r.Case.Samples, r.Case.SeqLen, SlicingTimeCase.Sparsity.ToString(CultureInfo.InvariantCulture),
                Num(p?.TotalSeconds), Num(p?.SetupSeconds), Num(p?.MedianLayerSeconds), Num(any ? p!.LayerSeconds.Min() : null),
                Num(any ? p!.LayerSeconds.Max() : null), Num(p?.HeadSeconds), Num(p?.Extrapolate(r.Case.FullLayers)),
                p?.Completed == true ? "true" : "false", Num(r.HostBuildSeconds), ExportFiles.Csv(r.Status), ExportFiles.Csv(ExportFiles.DeviceName()));
        }
    }

    private static string Num(double? value) =>
        value is double v && double.IsFinite(v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "NA";
}
