using SliceGpt.Kernels.Args;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels;

/// <summary>Launches embedding.cu: token rows gathered from the embedding table, plus OPT's learned positions.</summary>
public sealed class EmbeddingKernels
{
    private const string File = "embedding.cu";
    private readonly KernelEntry _embedding;

    internal EmbeddingKernels(CudaKernels kernels)
    {
        _embedding = new KernelEntry(kernels, File, "embedding");
    }

    /// <summary>The source file and entry points.</summary>
    public static KernelFamily Family { get; } = KernelFamily.Of(File, "embedding");

    /// <summary>
    /// output[r, :] = table[tokens[r], :] for <paramref name="rows"/> tokens. An id outside the vocabulary
    /// yields a NaN row (validate ids on the host when they come from users).
    /// </summary>
    public void Embed<T>(CudaStream stream, DeviceMemory<int> tokens, DeviceMemory<T> table, DeviceMemory<T> output,
        int rows, int dim, int vocabSize) where T : unmanaged =>
        Launch(stream, tokens, table, output, rows, dim, vocabSize, default, default, 0, 0);

    /// <summary>
    /// output[r, :] = table[tokens[r], :] + positionTable[positions[r] + positionOffset, :] (OPT's learned
    /// positions, offset 2). A position outside the table yields a NaN row.
    /// </summary>
    public void EmbedWithPositions<T>(CudaStream stream, DeviceMemory<int> tokens, DeviceMemory<T> table,
        DeviceMemory<T> output, int rows, int dim, int vocabSize, DeviceMemory<int> positions,
        DeviceMemory<T> positionTable, int positionOffset, int maxPositions) where T : unmanaged
    {
        KernelGeometry.Positive(maxPositions, nameof(maxPositions), "embedding");
        positions.EnsureLength(rows, "embedding: positions [rows]");
        positionTable.EnsureLength((long)maxPositions * dim, "embedding: positionTable [maxPositions, dim]");
        Launch(stream, tokens, table, output, rows, dim, vocabSize, positions, positionTable, positionOffset, maxPositions);
    }

    private void Launch<T>(CudaStream stream, DeviceMemory<int> tokens, DeviceMemory<T> table, DeviceMemory<T> output,
        int rows, int dim, int vocabSize, DeviceMemory<int> positions, DeviceMemory<T> positionTable,
        int positionOffset, int maxPositions) where T : unmanaged
    {
        KernelGeometry.NonNegative(rows, nameof(rows), "embedding");
        KernelGeometry.Positive(dim, nameof(dim), "embedding");
        KernelGeometry.Positive(vocabSize, nameof(vocabSize), "embedding");
        if (rows == 0)
            return;
        tokens.EnsureLength(rows, "embedding: tokens [rows]");
        table.EnsureLength((long)vocabSize * dim, "embedding: table [vocabSize, dim]");
        output.EnsureLength((long)rows * dim, "embedding: output [rows, dim]");
        var args = new EmbeddingArgs
        {
            Tokens = tokens.Address, Table = table.Address, Positions = positions.Address,
            PositionTable = positionTable.Address, Output = output.Address, Rows = rows, Dim = dim,
            VocabSize = vocabSize, PositionOffset = positionOffset, MaxPositions = maxPositions,
        };
        KernelLauncher.Launch(_embedding.For<T>(), LaunchGeometry.Linear(rows, KernelGeometry.RowThreads(dim)), stream, args);
    }
}
