using System.Numerics;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// SliceGPT's exact preparation step (SLICEGPT.md §1): untie the head, fold every norm's scale and shift into the
/// linears that read it, make the residual stream of LayerNorm models zero-mean (so that LayerNorm equals
/// RMSNorm), and replace every norm by a weightless RMSNorm with the original divisor D. The fused model
/// computes the same logits as the original; all arithmetic is float64.
/// </summary>
public static class ModelFusion
{
    /// <summary>Returns the fused model; <paramref name="model"/> is not modified.</summary>
    public static TransformerModel<T> Fuse<T>(TransformerModel<T> model) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        FuseShell(model) with { Layers = model.Layers.Select(layer => FuseLayer(layer, model.Config)).ToArray() };

    /// <summary>
    /// Fuses everything but the blocks: centres the embedding and position tables (LayerNorm models), folds the final
    /// norm into the head (untying it) and makes the final norm weightless. <see cref="TransformerModel{T}.Layers"/> is
    /// left as it is, so a streaming caller can fuse blocks one at a time with <see cref="FuseLayer{T}"/>.
    /// </summary>
    public static TransformerModel<T> FuseShell<T>(TransformerModel<T> model) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool centre = model.Config.Norm == NormKind.LayerNorm;
        return model with
        {
            Embedding = centre ? CentreRows(model.Embedding) : model.Embedding,
            Positions = model.Positions is null || !centre ? model.Positions : CentreRows(model.Positions),
            FinalNorm = Weightless<T>(model.Config),
            Head = FoldNorm(model.FinalNorm, model.Head), // a new matrix: the head is untied from the embedding
        };
    }

    /// <summary>Fuses one block: its norms' scales and shifts into the linears that read them, its residual writers centred.</summary>
    public static TransformerLayer<T> FuseLayer<T>(TransformerLayer<T> layer, ModelConfig c) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool centre = c.Norm == NormKind.LayerNorm;
        var weightless = Weightless<T>(c);
        var mlpNorm = c.Block == BlockKind.Parallel ? layer.AttentionNorm : layer.MlpNorm!;
        return layer with
        {
            AttentionNorm = weightless,
            Qkv = FoldNorm(layer.AttentionNorm, layer.Qkv),
            AttentionOut = centre ? CentreOutputs(layer.AttentionOut) : layer.AttentionOut,
            MlpNorm = c.Block == BlockKind.Parallel ? null : weightless,
            Up = FoldNorm(mlpNorm, layer.Up),
            Down = centre ? CentreOutputs(layer.Down) : layer.Down,
        };
    }

    private static Norm<T> Weightless<T>(ModelConfig c) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        new(NormKind.RmsNorm, null, null, c.NormEps, c.Dim);

    /// <summary>W ← W·diag(γ), b ← b + W·β (a bias is created when the norm has a shift).</summary>
    internal static Linear<T> FoldNorm<T>(Norm<T> norm, Linear<T> linear) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int rows = linear.OutFeatures, cols = linear.InFeatures;
        var w = DoubleMatrix.From(linear.Weight);
        var gamma = norm.Weight is null ? null : DoubleMatrix.Vector<T>(norm.Weight);
        var beta = norm.Bias is null ? null : DoubleMatrix.Vector<T>(norm.Bias);
        double[]? bias = linear.Bias is null ? null : DoubleMatrix.Vector<T>(linear.Bias);
        if (beta is not null)
        {
            bias ??= new double[rows];
            for (int r = 0; r < rows; r++)
            {
                double shift = 0;
                for (int k = 0; k < cols; k++)
                    shift += w[r * cols + k] * beta[k];
                bias[r] += shift;
            }
        }
        if (gamma is not null)
        {
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < cols; k++)
                    w[r * cols + k] *= gamma[k];
        }
        return new Linear<T>(DoubleMatrix.ToMatrix<T>(rows, cols, w), bias is null ? null : DoubleMatrix.ToVector<T>(bias));
    }

    /// <summary>Subtracts each row's mean over the hidden dimension (embedding and position tables).</summary>
    internal static Matrix<T> CentreRows<T>(Matrix<T> m) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var w = DoubleMatrix.From(m);
        for (int r = 0; r < m.Rows; r++)
        {
            var row = w.AsSpan(r * m.Cols, m.Cols);
            double mean = 0;
            foreach (var v in row)
                mean += v;
            mean /= m.Cols;
            for (int k = 0; k < row.Length; k++)
                row[k] -= mean;
        }
        return DoubleMatrix.ToMatrix<T>(m.Rows, m.Cols, w);
    }

    /// <summary>W ← W − mean over its output rows, b ← b − mean(b): the linear's output becomes zero-mean.</summary>
    internal static Linear<T> CentreOutputs<T>(Linear<T> linear) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int rows = linear.OutFeatures, cols = linear.InFeatures;
        var w = DoubleMatrix.From(linear.Weight);
        for (int k = 0; k < cols; k++)
        {
            double mean = 0;
            for (int r = 0; r < rows; r++)
                mean += w[r * cols + k];
            mean /= rows;
            for (int r = 0; r < rows; r++)
                w[r * cols + k] -= mean;
        }
        T[]? bias = null;
        if (linear.Bias is not null)
        {
            var b = DoubleMatrix.Vector<T>(linear.Bias);
            double mean = b.Average();
            for (int r = 0; r < rows; r++)
                b[r] -= mean;
            bias = DoubleMatrix.ToVector<T>(b);
        }
        return new Linear<T>(DoubleMatrix.ToMatrix<T>(rows, cols, w), bias);
    }
}
