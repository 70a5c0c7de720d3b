using System.Globalization;
using System.Text;
using System.Text.Json;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// The report written beside a sliced checkpoint: every PCA signal's eigenvalue spectrum and the share of variance
/// kept, as JSON and as a self-contained HTML page with SVG charts, and, when measured, dense and sliced perplexity and
/// zero-shot accuracy. It holds no timings, so equal runs give equal files.
/// </summary>
public static class SlicingReport
{
    /// <summary>File name of the JSON report.</summary>
    public const string JsonFileName = "slicing-report.json";

    /// <summary>File name of the HTML report.</summary>
    public const string HtmlFileName = "slicing-report.html";

    /// <summary>The JSON report; its <c>evaluation</c> field is null when <paramref name="evaluation"/> is.</summary>
    public static byte[] Json(string model, SliceMetadata metadata, IReadOnlyList<SignalSpectrum> spectra, SlicingEvaluation? evaluation = null)
    {
        var report = new
        {
            Model = model,
            Slicing = metadata.ToJson(),
            Evaluation = evaluation,
            Signals = spectra.Select(s => new { s.Name, s.Layer, s.KeptWidth, s.ExplainedVariance, s.Eigenvalues }),
        };
        return JsonSerializer.SerializeToUtf8Bytes(report, SliceMetadata.Json);
    }

    /// <summary>
    /// The HTML report: the dense/sliced comparison when there is one, a kept-variance chart over all signals, then one
    /// spectrum chart per signal.
    /// </summary>
    public static byte[] Html(string model, SliceMetadata metadata, IReadOnlyList<SignalSpectrum> spectra, SlicingEvaluation? evaluation = null)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SliceGPT report</title>\n")
            .Append("<style>body{font-family:sans-serif;margin:2em;color:#222}figure{display:inline-block;margin:.5em}")
            .Append("figcaption{font-size:.8em;text-align:center}td,th{padding:.2em .6em;text-align:right}</style></head><body>\n")
            .Append($"<h1>SliceGPT report: {Escape(model)}</h1>\n")
            .Append($"<p>Sparsity {Number(metadata.Sparsity)}{(metadata.VarianceTarget is double v ? $", variance target {Number(v)}" : "")}, ")
            .Append($"orientation {metadata.Orientation}, calibration {metadata.Calibration.Samples} × {metadata.Calibration.SeqLen} tokens ")
            .Append($"({metadata.Calibration.Mode}, {Escape(metadata.Calibration.File)}), seed {metadata.Seed}. Engine {Escape(metadata.Engine)}.</p>\n")
            .Append(evaluation is null ? "" : EvaluationTable(evaluation, metadata.Sparsity))
            .Append("<h2>Variance kept per signal</h2>\n")
            .Append(SvgCharts.Bars(spectra.Select(s => (s.Name, s.ExplainedVariance)).ToList()))
            .Append("\n<table><tr><th>signal</th><th>kept width</th><th>of</th><th>variance kept</th></tr>\n");
        foreach (var s in spectra)
            html.Append($"<tr><td>{Escape(s.Name)}</td><td>{s.KeptWidth}</td><td>{s.Eigenvalues.Length}</td><td>{Number(s.ExplainedVariance)}</td></tr>\n");
        html.Append("</table>\n<h2>Eigenvalue spectra (normalised by the largest, log scale; the line marks the kept width)</h2>\n");
        foreach (var s in spectra)
            html.Append("<figure>").Append(SvgCharts.Spectrum(s.Eigenvalues, s.KeptWidth)).Append($"<figcaption>{Escape(s.Name)}</figcaption></figure>\n");
        html.Append("</body></html>\n");
        return Encoding.UTF8.GetBytes(html.ToString());
    }

    /// <summary>
    /// Replaces the two report files in the finished output <paramref name="folder"/> with versions that include
    /// <paramref name="evaluation"/> (measured on the written checkpoint), each through a temporary sibling and a rename.
    /// </summary>
    public static void AddEvaluation(string folder, string model, SliceMetadata metadata, IReadOnlyList<SignalSpectrum> spectra, SlicingEvaluation evaluation)
    {
        Replace(Path.Combine(folder, JsonFileName), Json(model, metadata, spectra, evaluation));
        Replace(Path.Combine(folder, HtmlFileName), Html(model, metadata, spectra, evaluation));
    }

    private static void Replace(string path, byte[] content)
    {
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }

    // The paper's Table 2 layout: one row per model, perplexity then the task's accuracies (± standard error).
    private static string EvaluationTable(SlicingEvaluation e, double sparsity)
    {
        var html = new StringBuilder("<h2>Dense and sliced</h2>\n<table><tr><th>model</th>");
        if (e.Perplexity is { } p)
            html.Append($"<th>perplexity ({p.Rows} × {p.SeqLen} tokens)</th>");
        if (e.ZeroShot is { } z)
            html.Append($"<th>{Escape(z.Task)} acc</th><th>{Escape(z.Task)} acc_norm</th>");
        html.Append("</tr>\n");
        foreach (var (label, ppl, score) in new[]
        {
            ("dense", e.Perplexity?.Dense, e.ZeroShot?.Dense),
            ($"sliced ({Number(100 * sparsity)}%)", e.Perplexity?.Sliced, e.ZeroShot?.Sliced),
        })
        {
            html.Append($"<tr><td>{label}</td>");
            if (ppl is double v)
                html.Append($"<td>{v.ToString("0.0000", CultureInfo.InvariantCulture)}</td>");
            if (score is not null)
                html.Append($"<td>{Percent(score.Acc, score.AccStderr)}</td><td>{Percent(score.AccNorm, score.AccNormStderr)}</td>");
            html.Append("</tr>\n");
        }
        if (e.ZeroShot is { } zs)
            html.Append($"</table>\n<p>{Escape(zs.Task)}: {zs.Tasks} tasks, zero-shot, scored as lm-evaluation-harness scores them.</p>\n");
        else
            html.Append("</table>\n");
        return html.ToString();
    }

    private static string Percent(double value, double? stderr) =>
        (100 * value).ToString("0.00", CultureInfo.InvariantCulture) + (stderr is double e ? " ± " + (100 * e).ToString("0.00", CultureInfo.InvariantCulture) : "");

    private static string Number(double v) => v.ToString("0.#####", CultureInfo.InvariantCulture);

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}
