using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;

namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>The models the end-to-end suites compare, as in the paper's Tables 2 and 11.</summary>
public enum ModelVariant
{
    /// <summary>The dense model.</summary>
    Dense,
    /// <summary>SliceGPT at 25% slicing (LLAMA-2 7B: d = 3072).</summary>
    Sliced25,
    /// <summary>SliceGPT at 50% slicing (LLAMA-2 7B: d = 2048).</summary>
    Sliced50,
}

/// <summary>Names and sparsities of <see cref="ModelVariant"/>.</summary>
public static class ModelVariants
{
    /// <summary>Every variant, dense first (the speedups' reference).</summary>
    public static IReadOnlyList<ModelVariant> All { get; } = [ModelVariant.Dense, ModelVariant.Sliced25, ModelVariant.Sliced50];

    /// <summary>The slicing fraction, or null for the dense model.</summary>
    public static double? Sparsity(this ModelVariant variant) => variant switch
    {
        ModelVariant.Sliced25 => 0.25,
        ModelVariant.Sliced50 => 0.50,
        _ => null,
    };

    /// <summary>The paper's name of a variant.</summary>
    public static string Label(this ModelVariant variant) => variant switch
    {
        ModelVariant.Sliced25 => "SliceGPT (25%)",
        ModelVariant.Sliced50 => "SliceGPT (50%)",
        _ => "Dense",
    };
}

/// <summary>
/// The tensor shapes of one block. Weights are [out, in]; shortcut matrices [in, out] as the engine applies them
/// (x·S). Dense blocks have norm scales and no shortcuts; sliced blocks have weightless norms (fused away, divisor D)
/// and both shortcuts, as a sliced checkpoint does.
/// </summary>
/// <param name="Widths">The residual widths the block reads, carries between attention and MLP, and writes.</param>
/// <param name="QkvRows">qDim + 2·kvDim.</param>
/// <param name="QDim">Width of the attention output's input.</param>
/// <param name="UpRows">2·hiddenDim for a gated MLP ([gate; up]).</param>
/// <param name="HiddenDim">Width of the down projection's input.</param>
/// <param name="Sliced">Weightless norms and shortcut matrices.</param>
/// <param name="Dim">The original width D (the norm scales' length in a dense block).</param>
public sealed record BlockShape(LayerWidths Widths, int QkvRows, int QDim, int UpRows, int HiddenDim, bool Sliced, int Dim)
{
    /// <summary>[qkv, DIn].</summary>
    public (int Rows, int Cols) Qkv => (QkvRows, Widths.In);

    /// <summary>[DMid, qDim].</summary>
    public (int Rows, int Cols) AttentionOut => (Widths.Mid, QDim);

    /// <summary>[2·hidden, DMid].</summary>
    public (int Rows, int Cols) Up => (UpRows, Widths.Mid);

    /// <summary>[DOut, hidden].</summary>
    public (int Rows, int Cols) Down => (Widths.Out, HiddenDim);

    /// <summary>[DIn, DMid], or null in a dense block.</summary>
    public (int Rows, int Cols)? AttentionShortcut => Sliced ? (Widths.In, Widths.Mid) : null;

    /// <summary>[DMid, DOut], or null in a dense block.</summary>
    public (int Rows, int Cols)? MlpShortcut => Sliced ? (Widths.Mid, Widths.Out) : null;

    /// <summary>Parameters of the block: its four weights, the two norm scales (dense) or the two shortcuts (sliced).</summary>
    public long Parameters =>
        Count(Qkv) + Count(AttentionOut) + Count(Up) + Count(Down)
        + (Sliced ? Count(AttentionShortcut!.Value) + Count(MlpShortcut!.Value) : 2L * Dim);

    private static long Count((int Rows, int Cols) shape) => (long)shape.Rows * shape.Cols;
}

/// <summary>
/// Every shape of a LLAMA-family model, dense or sliced with SliceGPT's constant schedule, without any weight: what
/// <see cref="SyntheticModel.Create"/> builds, and what the tests check against the published shapes and
/// <see cref="SlicingPlanner.Plan"/>'s parameter counts.
/// </summary>
/// <param name="Config">The dimensions (for a sliced model, with its <see cref="ModelConfig.Slicing"/> section).</param>
/// <param name="Variant">Dense or the slicing fraction.</param>
/// <param name="Blocks">One shape per layer (the last one of a sliced model writes the full width D for the head).</param>
public sealed record ModelBlueprint(ModelConfig Config, ModelVariant Variant, IReadOnlyList<BlockShape> Blocks)
{
    /// <summary>The embedding's width (the first block's input).</summary>
    public int EmbeddingWidth => Blocks[0].Widths.In;

    /// <summary>The head's input width (the last block's output: D, the head is not sliced).</summary>
    public int HeadWidth => Blocks[^1].Widths.Out;

    /// <summary>True when the norms have scales (the dense checkpoint); a sliced model's norms are weightless.</summary>
    public bool NormWeights => Variant == ModelVariant.Dense;

    /// <summary>All parameters: embedding, blocks (shortcuts included), final norm scale (dense), head.</summary>
    public long Parameters =>
        (long)Config.VocabSize * EmbeddingWidth + Blocks.Sum(b => b.Parameters) + (NormWeights ? Config.Dim : 0)
        + (long)Config.VocabSize * HeadWidth;

    /// <summary>The blueprint of <paramref name="dense"/> under <paramref name="variant"/> (widths from <see cref="SlicingPlanner.ConstantWidths"/>).</summary>
    /// <exception cref="NotSupportedException">Not a LLAMA-style model (RMSNorm, sequential blocks, gated MLP, no biases, untied head).</exception>
    public static ModelBlueprint Of(ModelConfig dense, ModelVariant variant)
    {
        if (dense.Norm != NormKind.RmsNorm || dense.Block != BlockKind.Sequential || dense.Activation != MlpActivation.SiluGated
            || dense.AttentionBias || dense.MlpBias || dense.HeadBias || dense.TiedEmbeddings || dense.LearnedPositionOffset is not null)
            throw new NotSupportedException($"{dense.ArchitectureName}: the synthetic models have LLAMA-2's layout only");
        if (dense.Slicing is not null)
            throw new ArgumentException("expected the dense config", nameof(dense));
        string name = $"{dense.ArchitectureName} (random weights, {variant.Label()})";
        if (variant.Sparsity() is not double sparsity)
        {
            var full = new LayerWidths(dense.Dim, dense.Dim, dense.Dim);
            return new ModelBlueprint(dense with { ArchitectureName = name }, variant,
                Enumerable.Repeat(Block(dense, full, false), dense.NLayers).ToArray());
        }
        var options = new SlicingOptions { Sparsity = sparsity };
        var widths = SlicingPlanner.ConstantWidths(dense, options);
        var config = dense with
        {
            ArchitectureName = name,
            Slicing = options.ToMetadata(new CalibrationInfo("none", "random weights", 0, 0), widths),
        };
        return new ModelBlueprint(config, variant, widths.Select(w => Block(dense, w, true)).ToArray());
    }

    private static BlockShape Block(ModelConfig c, LayerWidths widths, bool sliced) =>
        new(widths, c.QDim + 2 * c.KvDim, c.QDim, c.UpDim, c.HiddenDim, sliced, c.Dim);
}
