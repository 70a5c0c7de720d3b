using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing;

/// <summary>Which matrix product of a transformer layer a <see cref="LayerGemm"/> is.</summary>
public enum LayerGemmRole
{
    /// <summary>The query projection.</summary>
    Query,
    /// <summary>The key projection.</summary>
    Key,
    /// <summary>The value projection.</summary>
    Value,
    /// <summary>The attention output projection (o_proj, out_proj, dense).</summary>
    AttentionOutput,
    /// <summary>The gate projection of a gated MLP.</summary>
    Gate,
    /// <summary>The MLP input projection (up_proj, fc1).</summary>
    Up,
    /// <summary>The MLP output projection (down_proj, fc2).</summary>
    Down,
    /// <summary>A sliced layer's attention shortcut S_attn [d_in, d_mid] (parallel blocks: [d_in, d_out]).</summary>
    AttentionShortcut,
    /// <summary>A sliced sequential layer's MLP shortcut S_mlp [d_mid, d_out].</summary>
    MlpShortcut,
}

/// <summary>
/// One matrix product of a layer's forward pass over a batch of tokens: Y[tokens, <see cref="OutFeatures"/>] =
/// X[tokens, <see cref="InFeatures"/>]·W with W stored [out, in] for projections and [in, out] for shortcut
/// matrices (as checkpoints store each).
/// </summary>
/// <param name="Role">Which product.</param>
/// <param name="Name">The family's short name ("q", "o", "out", "fc1", "down", "attn shortcut" ...).</param>
/// <param name="OutFeatures">Columns of Y.</param>
/// <param name="InFeatures">Columns of X, the reduction length.</param>
public sealed record LayerGemm(LayerGemmRole Role, string Name, int OutFeatures, int InFeatures)
{
    /// <summary>True for the shortcut matrices a sliced layer adds.</summary>
    public bool IsShortcut => Role is LayerGemmRole.AttentionShortcut or LayerGemmRole.MlpShortcut;

    /// <summary>Floating-point operations of the product over <paramref name="tokens"/> rows (a multiply-add counts two).</summary>
    public double Flops(int tokens) => 2.0 * tokens * OutFeatures * InFeatures;

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {OutFeatures}x{InFeatures}";
}

/// <summary>
/// The matrix products of one transformer layer, derived from its configuration and (for a sliced layer) its widths,
/// with the same shape rules as the checkpoint loader: slicing shrinks only the residual-facing dimension (q, k, v,
/// gate, up and fc1 read d_in or d_mid; the attention output and down/fc2 write d_mid or d_out); head, key/value and
/// MLP intermediate widths are untouched. Used by the per-matmul benchmarks of the paper's appendix A.7.
/// </summary>
public static class LayerGemms
{
    /// <summary>
    /// The layer's products in forward order: q, k, v, attention output, [gate,] up, down, then, when
    /// <paramref name="widths"/> is given (a sliced layer), its shortcut matrices. Dense layers have no shortcuts.
    /// </summary>
    public static IReadOnlyList<LayerGemm> Of(ModelConfig config, LayerWidths? widths = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        bool parallel = config.Block == BlockKind.Parallel;
        int dIn = widths?.In ?? config.Dim, dMid = widths?.Mid ?? config.Dim, dOut = widths?.Out ?? config.Dim;
        int mlpIn = parallel ? dIn : dMid, attentionOut = parallel ? dOut : dMid;
        var names = Names(config.Family);
        var gemms = new List<LayerGemm>
        {
            new(LayerGemmRole.Query, "q", config.QDim, dIn),
            new(LayerGemmRole.Key, "k", config.KvDim, dIn),
            new(LayerGemmRole.Value, "v", config.KvDim, dIn),
            new(LayerGemmRole.AttentionOutput, names.AttentionOut, attentionOut, config.QDim),
        };
        if (config.Activation == MlpActivation.SiluGated)
            gemms.Add(new(LayerGemmRole.Gate, "gate", config.HiddenDim, mlpIn));
        gemms.Add(new(LayerGemmRole.Up, names.Up, config.HiddenDim, mlpIn));
        gemms.Add(new(LayerGemmRole.Down, names.Down, dOut, config.HiddenDim));
        if (widths is not null)
        {
            gemms.Add(new(LayerGemmRole.AttentionShortcut, "attn shortcut", attentionOut, dIn));
            if (!parallel)
                gemms.Add(new(LayerGemmRole.MlpShortcut, "mlp shortcut", dOut, dMid));
        }
        return gemms;
    }

    /// <summary>
    /// The sum of <paramref name="time"/> over <paramref name="gemms"/>, leaving the shortcut matrices out unless
    /// <paramref name="includeShortcuts"/> (the paper's Tables 12 and 13 leave them out). NaN when any term is NaN.
    /// </summary>
    public static double Total(IEnumerable<LayerGemm> gemms, Func<LayerGemm, double> time, bool includeShortcuts)
    {
        ArgumentNullException.ThrowIfNull(gemms);
        ArgumentNullException.ThrowIfNull(time);
        return gemms.Where(g => includeShortcuts || !g.IsShortcut).Sum(time);
    }

    private static (string AttentionOut, string Up, string Down) Names(ArchitectureFamily family) => family switch
    {
        ArchitectureFamily.Opt => ("out", "fc1", "fc2"),
        ArchitectureFamily.Phi => ("dense", "fc1", "fc2"),
        _ => ("o", "up", "down"),
    };
}
