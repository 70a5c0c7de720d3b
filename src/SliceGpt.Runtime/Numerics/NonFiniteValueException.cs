namespace SliceGpt.Runtime.Numerics;

/// <summary>
/// A NaN or infinity where only finite numbers make sense: in a checkpoint's weights (the message names the file, the
/// tensor and the first bad index), in the activations or logits of a forward pass (it names the layer where they first
/// appear), or in a calibration covariance (it names the signal).
/// </summary>
public sealed class NonFiniteValueException : SliceGptException
{
    /// <summary>The checkpoint file, for a bad weight; else null.</summary>
    public string? File { get; }

    /// <summary>The tensor, or the stage of the forward pass ("layer 3 MLP"), or the calibration signal.</summary>
    public string Location { get; }

    /// <summary>Index of the first non-finite element within the tensor or activation (row-major), when known.</summary>
    public long? Index { get; }

    /// <summary>The block where non-finite values first appear (−1 for the embeddings), when known.</summary>
    public int? Layer { get; }

    /// <summary>Creates the exception with its full message.</summary>
    public NonFiniteValueException(string message, string location, string? file = null, long? index = null, int? layer = null)
        : base(message)
    {
        File = file;
        Location = location;
        Index = index;
        Layer = layer;
    }

    /// <summary>A stored weight is NaN or infinite.</summary>
    public static NonFiniteValueException InWeight(string file, string tensor, long[] shape, long index, double value) =>
        new($"{file}: tensor '{tensor}': non-finite weight {Text(value)} at index {IndexText(shape, index)} (of shape [{string.Join(", ", shape)}]); the checkpoint is corrupt",
            tensor, file, index);

    /// <summary>"[r, c]" for a flat row-major index into <paramref name="shape"/>.</summary>
    public static string IndexText(long[] shape, long index)
    {
        if (shape.Length == 0)
            return "[]";
        var coordinates = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            long size = Math.Max(shape[d], 1);
            coordinates[d] = index % size;
            index /= size;
        }
        return "[" + string.Join(", ", coordinates) + "]";
    }

    /// <summary>"NaN", "+Infinity", "-Infinity".</summary>
    public static string Text(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";
}
