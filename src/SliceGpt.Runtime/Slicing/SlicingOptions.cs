using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing;

/// <summary>How the kept principal subspace is oriented.</summary>
public enum Orientation
{
    /// <summary>The PCA eigenvectors themselves (deterministic). The default.</summary>
    Pca,
    /// <summary>A seeded random orthogonal rotation inside the kept subspace, as the reference does (unseeded there).</summary>
    Random,
}

/// <summary>The options of one slicing run.</summary>
public sealed record SlicingOptions
{
    /// <summary>Fraction of the residual width to remove, in [0, 1): d = floor((1 − s)·D) rounded down to <see cref="RoundTo"/>.</summary>
    public double Sparsity { get; init; }

    /// <summary>Widths are multiples of this (8 by default, for tensor cores).</summary>
    public int RoundTo { get; init; } = 8;

    /// <summary>Also slice the last layer's output and the head's input (default: the head stays D wide).</summary>
    public bool SliceHead { get; init; }

    /// <summary>
    /// When set, each PCA keeps the fewest leading components whose eigenvalues explain at least this share of the
    /// variance (rounded up to <see cref="RoundTo"/>), instead of the constant width (paper appendix A.4).
    /// </summary>
    public double? VarianceTarget { get; init; }

    /// <summary>Orientation of the kept subspace.</summary>
    public Orientation Orientation { get; init; } = Orientation.Pca;

    /// <summary>Seed of the random orientation.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Calibration rows run through one forward pass (memory versus speed).</summary>
    public int CalibrationBatch { get; init; } = 16;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the option when a value is invalid.</summary>
    public void Validate()
    {
        if (!(Sparsity >= 0 && Sparsity < 1))
            throw new ArgumentOutOfRangeException("sparsity", Sparsity, "the sparsity must be in [0, 1)");
        if (RoundTo < 1)
            throw new ArgumentOutOfRangeException("round-to", RoundTo, "the rounding multiple must be at least 1");
        if (VarianceTarget is double v && !(v > 0 && v <= 1))
            throw new ArgumentOutOfRangeException("variance-target", v, "the variance target must be in (0, 1]");
        if (CalibrationBatch < 1)
            throw new ArgumentOutOfRangeException("calibration batch", CalibrationBatch, "must be at least 1");
    }

    /// <summary>The constant sliced width of a residual of width <paramref name="dim"/>: floor((1 − s)·D) rounded down, at least one multiple.</summary>
    public int ConstantWidth(int dim)
    {
        int width = (int)((1 - Sparsity) * dim); // truncation, as the reference computes it
        width -= width % RoundTo;
        return Math.Clamp(width, Math.Min(RoundTo, dim), dim);
    }

    /// <summary>The <c>slicegpt</c> section of the checkpoint a run with these options on <paramref name="calibration"/> writes.</summary>
    public SliceMetadata ToMetadata(CalibrationInfo calibration, IReadOnlyList<LayerWidths> widths) => new()
    {
        Sparsity = Sparsity,
        RoundTo = RoundTo,
        SliceHead = SliceHead,
        VarianceTarget = VarianceTarget,
        Orientation = Orientation.ToString().ToLowerInvariant(),
        Seed = Seed,
        Calibration = calibration,
        Widths = widths,
        Engine = EngineVersion.Text,
    };
}
