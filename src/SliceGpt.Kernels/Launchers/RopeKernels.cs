using SliceGpt.Kernels.Args;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels;

/// <summary>Which coordinates of a head rotate together.</summary>
public enum RopeStyle
{
    /// <summary>Adjacent pairs (2i, 2i+1), as llama2.c stores its weights.</summary>
    Interleaved,
    /// <summary>Halves (i, i + rotaryDim/2), as Hugging Face's rotate_half.</summary>
    RotateHalf,
}

/// <summary>Launches rope.cu: rotary embedding in place on the query and key heads of a fused qkv buffer.</summary>
public sealed class RopeKernels
{
    private const string File = "rope.cu";
    private readonly KernelEntry _rope;

    internal RopeKernels(CudaKernels kernels) => _rope = new KernelEntry(kernels, File, "rope");

    /// <summary>The source file and entry points.</summary>
    public static KernelFamily Family { get; } = KernelFamily.Of(File, "rope");

    /// <summary>
    /// Fills the cos/sin tables [maxPositions, inverseFrequencies.Length] in double and rounds them to float,
    /// as RopeTable does: angle = position · inverseFrequencies[i].
    /// </summary>
    public static void BuildTables(ReadOnlySpan<double> inverseFrequencies, int maxPositions, Span<float> cos, Span<float> sin)
    {
        int half = inverseFrequencies.Length;
        long needed = (long)maxPositions * half;
        if (cos.Length < needed || sin.Length < needed)
            throw new ArgumentException($"rope tables: [{maxPositions}, {half}] needs {needed} elements each, got {cos.Length} and {sin.Length}");
        for (int p = 0; p < maxPositions; p++)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = p * inverseFrequencies[i];
                cos[p * half + i] = (float)Math.Cos(angle);
                sin[p * half + i] = (float)Math.Sin(angle);
            }
        }
    }

    /// <summary>
    /// Rotates, in place, the <paramref name="nHeads"/> query heads and <paramref name="nKvHeads"/> key heads of
    /// each row of qkv [rows, (nHeads + 2·nKvHeads)·headDim], row r at position positions[r], from the tables
    /// cos/sin [maxPositions, rotaryDim/2] (as CpuOps.Rope on both head groups). Only the first
    /// <paramref name="rotaryDim"/> dims of each head rotate. A position outside the table yields NaN.
    /// </summary>
    public void Apply<T>(CudaStream stream, DeviceMemory<T> qkv, DeviceMemory<int> positions, DeviceMemory<float> cos,
        DeviceMemory<float> sin, int rows, int nHeads, int nKvHeads, int headDim, int rotaryDim, RopeStyle style,
        int maxPositions) where T : unmanaged
    {
        KernelGeometry.NonNegative(rows, nameof(rows), "rope");
        KernelGeometry.Positive(nHeads, nameof(nHeads), "rope");
        KernelGeometry.Positive(nKvHeads, nameof(nKvHeads), "rope");
        KernelGeometry.Positive(headDim, nameof(headDim), "rope");
        KernelGeometry.Positive(maxPositions, nameof(maxPositions), "rope");
        if (rotaryDim <= 0 || rotaryDim > headDim || rotaryDim % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(rotaryDim), rotaryDim, $"rope: rotaryDim must be even and in (0, {headDim}]");
        if (rows == 0)
            return;
        int stride = (nHeads + 2 * nKvHeads) * headDim;
        qkv.EnsureLength((long)rows * stride, "rope: qkv [rows, (nHeads + 2·nKvHeads)·headDim]");
        positions.EnsureLength(rows, "rope: positions [rows]");
        cos.EnsureLength((long)maxPositions * (rotaryDim / 2), "rope: cos [maxPositions, rotaryDim/2]");
        sin.EnsureLength((long)maxPositions * (rotaryDim / 2), "rope: sin [maxPositions, rotaryDim/2]");
        var args = new RopeArgs
        {
            Qkv = qkv.Address, Positions = positions.Address, CosTable = cos.Address, SinTable = sin.Address,
            Rows = rows, Stride = stride, NHeads = nHeads, NKvHeads = nKvHeads, HeadDim = headDim, RotaryDim = rotaryDim,
            Interleaved = style == RopeStyle.Interleaved ? 1 : 0, MaxPositions = maxPositions,
        };
        int pairs = (nHeads + nKvHeads) * (rotaryDim / 2);
        int threads = Math.Clamp((pairs + 31) / 32 * 32, 32, 256);
        KernelLauncher.Launch(_rope.For<T>(), LaunchGeometry.Linear(rows, threads), stream, args);
    }
}
