using System.Text.Json;
using System.Text.Json.Serialization;
using SliceGpt.Runtime.Checkpoints;

namespace SliceGpt.Runtime.Models;

/// <summary>Where the calibration signals came from.</summary>
/// <param name="Mode">"first" or "random".</param>
/// <param name="File">The calibration text's file name (no folder, so outputs do not depend on where inputs live).</param>
/// <param name="Samples">Windows used.</param>
/// <param name="SeqLen">Tokens per window.</param>
public sealed record CalibrationInfo(string Mode, string File, int Samples, int SeqLen);

/// <summary>
/// The <c>slicegpt</c> section of a sliced checkpoint's <c>config.json</c>: how it was made and every layer's widths.
/// Its presence tells the loader that norms are weightless RMSNorms (divisor D) and shortcut matrices are stored.
/// </summary>
public sealed record SliceMetadata
{
    /// <summary>Version of this section's layout.</summary>
    public int FormatVersion { get; init; } = 1;

    /// <summary>Requested sparsity.</summary>
    public required double Sparsity { get; init; }

    /// <summary>Width rounding multiple.</summary>
    public required int RoundTo { get; init; }

    /// <summary>Whether the head's input was sliced.</summary>
    public required bool SliceHead { get; init; }

    /// <summary>The explained-variance target, when widths came from it.</summary>
    public double? VarianceTarget { get; init; }

    /// <summary>"pca" or "random".</summary>
    public required string Orientation { get; init; }

    /// <summary>Seed of calibration sampling and random orientation.</summary>
    public required ulong Seed { get; init; }

    /// <summary>The calibration data.</summary>
    public required CalibrationInfo Calibration { get; init; }

    /// <summary>Per-layer widths.</summary>
    public required IReadOnlyList<LayerWidths> Widths { get; init; }

    /// <summary>The engine that wrote the checkpoint.</summary>
    public required string Engine { get; init; }

    /// <summary>The config.json key of this section.</summary>
    public const string Key = "slicegpt";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        IndentSize = 2,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The section as a JSON node.</summary>
    public JsonElement ToJson() => JsonSerializer.SerializeToElement(this, Json);

    /// <summary>Reads and checks the section against the model's layer count and width.</summary>
    /// <exception cref="CheckpointFormatException">Malformed or inconsistent section, naming the file and field.</exception>
    public static SliceMetadata Parse(string file, JsonElement section, int layers, int dim, bool parallel)
    {
        SliceMetadata? metadata;
        try
        {
            metadata = section.Deserialize<SliceMetadata>(Json);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(file, null, Key + (e.Path is { } p ? p[1..] : ""), "a valid slicegpt section", e.Message, e);
        }
        if (metadata is null)
            throw new CheckpointFormatException(file, null, Key, "an object", "null");
        if (metadata.FormatVersion != 1)
            throw new CheckpointFormatException(file, null, Key + ".format_version", "1", metadata.FormatVersion.ToString());
        if (metadata.Widths.Count != layers)
            throw new CheckpointFormatException(file, null, Key + ".widths", $"{layers} entries (num_hidden_layers)", $"{metadata.Widths.Count}");
        for (int l = 0; l < layers; l++)
        {
            var w = metadata.Widths[l];
            if (new[] { w.In, w.Mid, w.Out }.Any(v => v < 1 || v > dim))
                throw new CheckpointFormatException(file, null, $"{Key}.widths[{l}]", $"widths in [1, {dim}]", $"{w}");
            if (l > 0 && w.In != metadata.Widths[l - 1].Out)
                throw new CheckpointFormatException(file, null, $"{Key}.widths[{l}].in", $"the previous layer's output width {metadata.Widths[l - 1].Out}", $"{w.In}");
            if (parallel && w.Mid != w.Out)
                throw new CheckpointFormatException(file, null, $"{Key}.widths[{l}].mid", $"equal to out ({w.Out}) for parallel blocks", $"{w.Mid}");
        }
        return metadata;
    }
}
