using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing;

/// <summary>A slicing plan: every layer's widths and the parameter count before and after.</summary>
/// <param name="Widths">Per-layer widths.</param>
/// <param name="ParamsBefore">The dense checkpoint's parameters.</param>
/// <param name="ParamsAfter">The sliced model's parameters (shortcut matrices included).</param>
public sealed record SlicingPlan(IReadOnlyList<LayerWidths> Widths, long ParamsBefore, long ParamsAfter)
{
    /// <summary>1 − after/before: the actual parameter reduction, which is not the sparsity (shortcuts add ~2d² per layer).</summary>
    public double ParameterReduction => 1 - (double)ParamsAfter / ParamsBefore;
}

/// <summary>Plans constant-width slicing from a configuration alone (no weights needed).</summary>
public static class SlicingPlanner
{
    /// <summary>
    /// The constant schedule: every residual is d = floor((1 − s)·D) rounded down to a multiple of RoundTo, except the
    /// last layer's output, which stays D (the head is rotated but not sliced) unless <see cref="SlicingOptions.SliceHead"/>.
    /// </summary>
    public static IReadOnlyList<LayerWidths> ConstantWidths(ModelConfig config, SlicingOptions options)
    {
        options.Validate();
        int d = options.ConstantWidth(config.Dim);
        var widths = new LayerWidths[config.NLayers];
        for (int l = 0; l < widths.Length; l++)
        {
            int output = l == widths.Length - 1 && !options.SliceHead ? config.Dim : d;
            widths[l] = new LayerWidths(d, config.Block == BlockKind.Parallel ? output : d, output);
        }
        return widths;
    }

    /// <summary>The constant plan with its parameter counts.</summary>
    public static SlicingPlan Plan(ModelConfig config, SlicingOptions options)
    {
        var widths = ConstantWidths(config, options);
        return new SlicingPlan(widths, ParameterCounter.Dense(config), ParameterCounter.Sliced(config, widths));
    }
}
