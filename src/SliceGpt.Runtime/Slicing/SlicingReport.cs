using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// The report written beside a sliced checkpoint: every PCA signal's eigenvalue spectrum and the share of variance
/// kept, as JSON and as a self-contained HTML page with SVG charts. It holds no timings, so equal runs give equal files.
/// </summary>
public static class SlicingReport
{
    /// <summary>File name of the JSON report.</summary>
    public const string JsonFileName = "slicing-report.json";

    /// <summary>File name of the HTML report.</summary>
    public const string HtmlFileName = "slicing-report.html";

    /// <summary>The JSON report.</summary>
    public static byte[] Json(string model, SliceMetadata metadata, IReadOnlyList<SignalSpectrum> spectra)
    {
        var report = new
        {
            Model = model,
            Slicing = metadata.ToJson(),
            Signals = spectra.Select(s => new { s.Name, s.Layer, s.KeptWidth, s.ExplainedVariance, s.Eigenvalues }),
        };
        return JsonSerializer.SerializeToUtf8Bytes(report, SliceMetadata.Json);
    }

    /// <summary>The HTML report: a kept-variance chart over all signals, then one spectrum chart per signal.</summary>
    public static byte[] Html(string model, SliceMetadata metadata, IReadOnlyList<SignalSpectrum> spectra)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SliceGPT report</title>\n")
            .Append("<style>body{font-family:sans-serif;margin:2em;color:#222}figure{display:inline-block;margin:.5em}")
            .Append("figcaption{font-size:.8em;text-align:center}td,th{padding:.2em .6em;text-align:right}</style></head><body>\n")
            .Append($"<h1>SliceGPT report: {Escape(model)}</h1>\n")
            .Append($"<p>Sparsity {Number(metadata.Sparsity)}{(metadata.VarianceTarget is double v ? $", variance target {Number(v)}" : "")}, ")
            .Append($"orientation {metadata.Orientation}, calibration {metadata.Calibration.Samples} × {metadata.Calibration.SeqLen} tokens ")
            .Append($"({metadata.Calibration.Mode}, {Escape(metadata.Calibration.File)}), seed {metadata.Seed}. Engine {Escape(metadata.Engine)}.</p>\n")
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

    private static string Number(double v) => v.ToString("0.#####", CultureInfo.InvariantCulture);

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}
