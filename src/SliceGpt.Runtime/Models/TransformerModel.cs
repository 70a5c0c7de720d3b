using System.Numerics;

namespace SliceGpt.Runtime.Models;

/// <summary>
/// A whole model in the uniform form, dense or sliced. Immutable once built: any number of inference
/// sessions on any threads may share one instance.
/// </summary>
public sealed record TransformerModel<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>The model's dimensions and semantics.</summary>
    public required ModelConfig Config { get; init; }

    /// <summary>Token embedding: [vocab, DIn of layer 0].</summary>
    public required Matrix<T> Embedding { get; init; }

    /// <summary>Learned position table (OPT): [maxPositions + offset, DIn of layer 0]; null for rotary models.</summary>
    public Matrix<T>? Positions { get; init; }

    /// <summary>The blocks, in order.</summary>
    public required TransformerLayer<T>[] Layers { get; init; }

    /// <summary>The norm before the head.</summary>
    public required Norm<T> FinalNorm { get; init; }

    /// <summary>The language-model head: [vocab, DOut of the last layer], with an optional bias.</summary>
    public required Linear<T> Head { get; init; }

    /// <summary>Whether <see cref="Head"/> shares its storage with <see cref="Embedding"/> (counted once).</summary>
    public bool HeadTiedToEmbedding => ReferenceEquals(Head.Weight, Embedding);

    /// <summary>Number of parameters; a tied head is counted once.</summary>
    public long ParameterCount =>
        (long)Embedding.Rows * Embedding.Cols
        + (Positions is null ? 0 : (long)Positions.Rows * Positions.Cols)
        + Layers.Sum(l => l.ParameterCount) + FinalNorm.ParameterCount
        + (HeadTiedToEmbedding ? Head.Bias?.Length ?? 0 : Head.ParameterCount);

    /// <summary>Converts every weight to <typeparamref name="TOut"/>; a tied head stays tied.</summary>
    public TransformerModel<TOut> Convert<TOut>() where TOut : unmanaged, IBinaryFloatingPointIeee754<TOut>
    {
        var embedding = Embedding.Convert<TOut>();
        var head = HeadTiedToEmbedding
            ? new Linear<TOut>(embedding, Head.Bias is null ? null : VectorOps.Convert<T, TOut>(Head.Bias))
            : Head.Convert<TOut>();
        return new TransformerModel<TOut>
        {
            Config = Config,
            Embedding = embedding,
            Positions = Positions?.Convert<TOut>(),
            Layers = Layers.Select(l => l.Convert<TOut>()).ToArray(),
            FinalNorm = FinalNorm.Convert<TOut>(),
            Head = head,
        };
    }
}
