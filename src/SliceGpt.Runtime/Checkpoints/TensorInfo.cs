namespace SliceGpt.Runtime.Checkpoints;

/// <summary>One tensor of a checkpoint: its name, element type, shape and where its bytes are in its file.</summary>
/// <param name="Name">The tensor's name in the checkpoint.</param>
/// <param name="DType">The stored element type.</param>
/// <param name="Shape">The shape, outermost dimension first (weights are [out, in]).</param>
/// <param name="File">The file that holds the bytes.</param>
/// <param name="ByteOffset">Absolute offset of the first byte in <paramref name="File"/>.</param>
/// <param name="ByteLength">Length in bytes (= element count × element size).</param>
public sealed record TensorInfo(string Name, TensorDType DType, long[] Shape, string File, long ByteOffset, long ByteLength)
{
    /// <summary>Number of elements (the product of the shape; 1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The shape as "[a, b]".</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
