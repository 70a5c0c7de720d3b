using System.Globalization;
using System.Text;

namespace SliceGpt.Runtime.Slicing;

/// <summary>The two small inline SVG charts of the slicing report (no plotting library is available).</summary>
internal static class SvgCharts
{
    private const int Width = 320, Height = 180, Margin = 30;

    /// <summary>Eigenvalues normalised by the largest, log10 scale, with a vertical line at the kept width.</summary>
    public static string Spectrum(double[] eigenvalues, int kept)
    {
        double max = eigenvalues.Length > 0 ? Math.Max(eigenvalues[0], double.Epsilon) : 1;
        var logs = eigenvalues.Select(v => Math.Log10(Math.Max(v / max, 1e-12))).ToArray();
        double floor = Math.Floor(logs.DefaultIfEmpty(0).Min());
        if (floor >= 0)
            floor = -1;
        double X(int i) => Margin + (Width - 2.0 * Margin) * i / Math.Max(1, eigenvalues.Length - 1);
        double Y(double log) => Margin + (Height - 2.0 * Margin) * (log / floor);
        var svg = Open();
        svg.Append(Axes()).Append(Label(4, Margin + 4, "1")).Append(Label(4, Height - Margin, $"1e{floor:0}"));
        svg.Append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
        for (int i = 0; i < logs.Length; i++)
            svg.Append(F(X(i))).Append(',').Append(F(Y(logs[i]))).Append(' ');
        svg.Append("\"/>");
        double xk = X(Math.Clamp(kept - 1, 0, Math.Max(0, eigenvalues.Length - 1)));
        svg.Append($"<line x1=\"{F(xk)}\" y1=\"{Margin}\" x2=\"{F(xk)}\" y2=\"{Height - Margin}\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>");
        svg.Append(Label(Width / 2 - 30, Height - 6, $"components 1..{eigenvalues.Length}"));
        return svg.Append("</svg>").ToString();
    }

    /// <summary>One bar per signal: the share of variance kept, 0..1.</summary>
    public static string Bars(IReadOnlyList<(string Name, double Share)> bars)
    {
        int width = Math.Max(Width, 2 * Margin + 12 * bars.Count);
        var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{Height}\" viewBox=\"0 0 {width} {Height}\">");
        svg.Append($"<line x1=\"{Margin}\" y1=\"{Height - Margin}\" x2=\"{width - Margin}\" y2=\"{Height - Margin}\" stroke=\"#444\"/>");
        svg.Append(Label(4, Margin + 4, "1")).Append(Label(4, Height - Margin, "0"));
        double step = (width - 2.0 * Margin) / Math.Max(1, bars.Count);
        for (int i = 0; i < bars.Count; i++)
        {
            double h = (Height - 2.0 * Margin) * Math.Clamp(bars[i].Share, 0, 1);
            svg.Append($"<rect x=\"{F(Margin + i * step + 1)}\" y=\"{F(Height - Margin - h)}\" width=\"{F(Math.Max(1, step - 2))}\" height=\"{F(h)}\" fill=\"#2ca02c\">")
                .Append($"<title>{bars[i].Name}: {bars[i].Share.ToString("0.####", CultureInfo.InvariantCulture)}</title></rect>");
        }
        return svg.Append("</svg>").ToString();
    }

    private static StringBuilder Open() =>
        new($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\">");

    private static string Axes() =>
        $"<line x1=\"{Margin}\" y1=\"{Margin}\" x2=\"{Margin}\" y2=\"{Height - Margin}\" stroke=\"#444\"/>"
        + $"<line x1=\"{Margin}\" y1=\"{Height - Margin}\" x2=\"{Width - Margin}\" y2=\"{Height - Margin}\" stroke=\"#444\"/>";

    private static string Label(double x, double y, string text) =>
        $"<text x=\"{F(x)}\" y=\"{F(y)}\" font-size=\"10\" font-family=\"sans-serif\">{text}</text>";

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
