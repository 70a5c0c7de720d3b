using System.Numerics;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing;

/// <summary>The spectrum of one PCA signal and how much of it was kept.</summary>
/// <param name="Name">"embeddings", "layer 3 mid" (attention → MLP residual) or "layer 3 output".</param>
/// <param name="Layer">The layer whose input (−1 for the embeddings) or residual it is.</param>
/// <param name="Eigenvalues">The covariance's eigenvalues, descending.</param>
/// <param name="KeptWidth">Components kept.</param>
/// <param name="ExplainedVariance">Share of the variance the kept components carry.</param>
public sealed record SignalSpectrum(string Name, int Layer, double[] Eigenvalues, int KeptWidth, double ExplainedVariance);

/// <summary>Progress of a slicing run, reported once per stage.</summary>
/// <param name="Layer">The layer being sliced (−1: embeddings).</param>
/// <param name="Layers">Number of layers.</param>
/// <param name="Stage">What just finished.</param>
public sealed record SlicingProgress(int Layer, int Layers, string Stage);

/// <summary>A sliced model and what the run measured.</summary>
/// <param name="Model">The fused, rotated and sliced model, in the input's element type.</param>
/// <param name="Widths">Per-layer widths.</param>
/// <param name="Spectra">Every PCA signal's spectrum, in pipeline order.</param>
/// <param name="CalibrationTokens">Tokens the covariances were accumulated over.</param>
public sealed record SlicingResult<T>(TransformerModel<T> Model, IReadOnlyList<LayerWidths> Widths,
    IReadOnlyList<SignalSpectrum> Spectra, long CalibrationTokens) where T : unmanaged, IBinaryFloatingPointIeee754<T>;
