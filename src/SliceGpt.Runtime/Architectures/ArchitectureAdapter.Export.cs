using System.Numerics;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

// Writing the uniform form back under the family's checkpoint names (the inverse of Load).
public abstract partial class ArchitectureAdapter
{
    /// <summary>
    /// The model's tensors under this family's checkpoint names, the inverse of <see cref="Load{T}"/>: fused
    /// projections are split where the family stores them separately, weightless norms and a tied head are omitted,
    /// and interleaved (llama2.c) q/k rows are permuted to Hugging Face's rotate-half order.
    /// </summary>
    public IEnumerable<(string Name, long[] Shape, T[] Data)> Export<T>(TransformerModel<T> model)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var c = model.Config;
        var names = ModelNames(null);
        yield return (names.Embedding, Shape(model.Embedding), model.Embedding.Data);
        if (model.Positions is not null)
            yield return (names.Positions!, Shape(model.Positions), model.Positions.Data);
        for (int i = 0; i < model.Layers.Length; i++)
        {
            foreach (var tensor in ExportLayer(model.Layers[i], c, LayerNames(null, i)))
                yield return tensor;
        }
        foreach (var tensor in ExportNorm(model.FinalNorm, names.FinalNormWeight, names.FinalNormBias))
            yield return tensor;
        if (!model.HeadTiedToEmbedding)
        {
            yield return (names.HeadWeight ?? "lm_head.weight", Shape(model.Head.Weight), model.Head.Weight.Data);
            if (model.Head.Bias is not null)
                yield return (names.HeadBias ?? "lm_head.bias", [model.Head.Bias.Length], model.Head.Bias);
        }
    }

    private static IEnumerable<(string, long[], T[])> ExportLayer<T>(TransformerLayer<T> layer, ModelConfig c, LayerTensorNames n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        foreach (var t in ExportNorm(layer.AttentionNorm, n.AttentionNormWeight, n.AttentionNormBias))
            yield return t;
        var qkv = c.Rope == RopeLayout.Interleaved ? RopeRows.InterleavedToRotateHalf(layer.Qkv, c) : layer.Qkv;
        if (n.FusedQkv is not null)
            foreach (var t in Split(qkv, (n.FusedQkv, n.FusedQkvBias, c.QDim + 2 * c.KvDim)))
                yield return t;
        else
            foreach (var t in Split(qkv, (n.Q!, n.QBias, c.QDim), (n.K!, n.KBias, c.KvDim), (n.V!, n.VBias, c.KvDim)))
                yield return t;
        foreach (var t in Split(layer.AttentionOut, (n.AttentionOut, n.AttentionOutBias, layer.AttentionOut.OutFeatures)))
            yield return t;
        if (layer.MlpNorm is not null)
            foreach (var t in ExportNorm(layer.MlpNorm, n.MlpNormWeight!, n.MlpNormBias))
                yield return t;
        var upParts = c.Activation != MlpActivation.SiluGated ? [(n.Up, (string?)n.UpBias, c.HiddenDim)]
            : n.FusedGateUp is not null ? [(n.FusedGateUp, n.UpBias, 2 * c.HiddenDim)]
            : new[] { (n.Gate!, n.GateBias, c.HiddenDim), (n.Up, (string?)n.UpBias, c.HiddenDim) };
        foreach (var t in Split(layer.Up, upParts))
            yield return t;
        foreach (var t in Split(layer.Down, (n.Down, n.DownBias, layer.Down.OutFeatures)))
            yield return t;
        if (layer.AttentionShortcut is { } s1)
            yield return (n.AttentionShortcut, Shape(s1), s1.Data);
        if (layer.MlpShortcut is { } s2)
            yield return (n.MlpShortcut, Shape(s2), s2.Data);
    }

    // Row blocks of a fused linear under their own names; a bias block only where the linear has a bias.
    private static IEnumerable<(string, long[], T[])> Split<T>(Linear<T> linear, params (string Weight, string? Bias, int Rows)[] parts)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int row = 0, cols = linear.InFeatures;
        foreach (var (weight, bias, rows) in parts)
        {
            yield return (weight, [rows, cols], linear.Weight.Data.AsSpan(row * cols, rows * cols).ToArray());
            if (linear.Bias is not null)
                yield return (bias ?? throw new InvalidOperationException($"{weight} has a bias but the family names none"), [rows], linear.Bias.AsSpan(row, rows).ToArray());
            row += rows;
        }
    }

    private static IEnumerable<(string, long[], T[])> ExportNorm<T>(Norm<T> norm, string weight, string? bias)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (norm.Weight is not null)
            yield return (weight, [norm.Weight.Length], norm.Weight);
        if (norm.Bias is not null)
            yield return (bias ?? throw new InvalidOperationException($"{weight} has a shift but the family names none"), [norm.Bias.Length], norm.Bias);
    }

    private static long[] Shape<T>(Matrix<T> m) where T : unmanaged, IBinaryFloatingPointIeee754<T> => [m.Rows, m.Cols];
}
