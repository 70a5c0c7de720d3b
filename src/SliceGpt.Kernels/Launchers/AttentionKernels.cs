using SliceGpt.Kernels.Args;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels;

/// <summary>
/// Launches attention.cu: causal attention of each row's query heads over its sequence's cached keys and
/// values 0..position, for prefill (seqLen rows per sequence) and decode (one) alike. When there are too few
/// (row, head) pairs to fill the GPU and many keys (long-context decode), the key range is split across
/// blocks that write partial softmax states to a workspace, and a second kernel merges them.
/// </summary>
public sealed class AttentionKernels
{
    /// <summary>The largest head width the kernel handles.</summary>
    public const int MaxHeadDim = 256;

    private const string File = "attention.cu";
    private const int Threads = 128;        // ATT_WARPS (4) warps
    private const int KeysPerSplit = 256;   // below this many keys per split, splitting does not pay
    private readonly CudaKernels _kernels;
    private readonly KernelEntry _attention;
    private readonly KernelEntry _combine;

    internal AttentionKernels(CudaKernels kernels)
    {
        _kernels = kernels;
        _attention = new KernelEntry(kernels, File, "attention");
        _combine = new KernelEntry(kernels, File, "attention_combine");
    }

    /// <summary>The source file and entry points.</summary>
    public static KernelFamily Family { get; } = KernelFamily.Of(File, "attention", "attention_combine");

    /// <summary>Floats of workspace that allow up to <paramref name="maxSplits"/> key splits for this shape.</summary>
    public static long WorkspaceLength(int rows, int nHeads, int headDim, int maxSplits) =>
        (long)rows * nHeads * maxSplits * (headDim + 2);

    /// <summary>
    /// output [rows, nHeads·headDim] = softmax(q·kᵀ / sqrt(headDim))·v per row and head (as CpuSession's
    /// attention): q from qkv [rows, (nHeads + 2·nKvHeads)·headDim], row r of sequence r / seqLen at position
    /// positions[r], keys and values from the caches [batch, maxSeq, nKvHeads·headDim] rows 0..positions[r],
    /// query head h reading kv head h / (nHeads / nKvHeads). <paramref name="maxPosition"/> bounds every
    /// position (the host knows it: start + seqLen − 1) and sizes the key splits. <paramref name="workspace"/>
    /// (see <see cref="WorkspaceLength"/>) may be null, which disables splitting. A position outside
    /// [0, maxSeq) yields NaN.
    /// </summary>
    public void Attend<T>(CudaStream stream, DeviceMemory<T> qkv, DeviceMemory<T> keyCache, DeviceMemory<T> valueCache,
        DeviceMemory<int> positions, DeviceMemory<T> output, DeviceMemory<float> workspace, int rows, int seqLen,
        int nHeads, int nKvHeads, int headDim, int batch, int maxSeq, int maxPosition) where T : unmanaged
    {
        Check(rows, seqLen, nHeads, nKvHeads, headDim, batch, maxSeq, maxPosition);
        if (rows == 0)
            return;
        int qDim = nHeads * headDim, kvDim = nKvHeads * headDim, stride = qDim + 2 * kvDim;
        qkv.EnsureLength((long)rows * stride, "attention: qkv [rows, qDim + 2·kvDim]");
        keyCache.EnsureLength((long)batch * maxSeq * kvDim, "attention: keyCache [batch, maxSeq, kvDim]");
        valueCache.EnsureLength((long)batch * maxSeq * kvDim, "attention: valueCache [batch, maxSeq, kvDim]");
        positions.EnsureLength(rows, "attention: positions [rows]");
        output.EnsureLength((long)rows * qDim, "attention: output [rows, nHeads·headDim]");

        int keys = maxPosition + 1;
        int splits = ChooseSplits(rows * nHeads, keys, workspace.IsNull ? 1 : (int)Math.Min(int.MaxValue,
            workspace.Length / WorkspaceLength(rows, nHeads, headDim, 1)));
        int splitSize = (keys + splits - 1) / splits;
        splitSize = (splitSize + 3) / 4 * 4;
        splits = (keys + splitSize - 1) / splitSize;
        var args = new AttentionArgs
        {
            Qkv = qkv.Address, KeyCache = keyCache.Address, ValueCache = valueCache.Address, Positions = positions.Address,
            Output = output.Address, Partials = splits > 1 ? workspace.Address : 0, Rows = rows, SeqLen = seqLen,
            Stride = stride, NHeads = nHeads, NKvHeads = nKvHeads, HeadDim = headDim, MaxSeq = maxSeq,
            NumSplits = splits, SplitSize = splitSize, Scale = 1f / MathF.Sqrt(headDim),
        };
        KernelLauncher.Launch(_attention.For<T>(), LaunchGeometry.Grid(rows, nHeads, splits, Threads), stream, args);
        if (splits == 1)
            return;
        var combine = new AttentionCombineArgs
        {
            Partials = workspace.Address, Output = output.Address, Rows = rows, NHeads = nHeads, HeadDim = headDim,
            NumSplits = splits,
        };
        KernelLauncher.Launch(_combine.For<T>(), LaunchGeometry.Grid(rows, nHeads, 1, Threads), stream, combine);
    }

    // One split while (row, head) blocks already cover the GPU twice or the keys are few; otherwise enough
    // splits of at least KeysPerSplit keys to give about two blocks per SM, within the workspace.
    private int ChooseSplits(int blocks, int keys, int workspaceSplits)
    {
        int target = 2 * Math.Max(1, _kernels.Context.Device.MultiprocessorCount);
        if (blocks >= target || keys <= KeysPerSplit || workspaceSplits < 2)
            return 1;
        int byKeys = (keys + KeysPerSplit - 1) / KeysPerSplit;
        int byOccupancy = (target + blocks - 1) / blocks;
        return Math.Max(1, Math.Min(Math.Min(byKeys, byOccupancy), Math.Min(workspaceSplits, 65535)));
    }

    private static void Check(int rows, int seqLen, int nHeads, int nKvHeads, int headDim, int batch, int maxSeq, int maxPosition)
    {
        KernelGeometry.NonNegative(rows, nameof(rows), "attention");
        KernelGeometry.Positive(seqLen, nameof(seqLen), "attention");
        KernelGeometry.Positive(nHeads, nameof(nHeads), "attention");
        KernelGeometry.Positive(nKvHeads, nameof(nKvHeads), "attention");
        KernelGeometry.Positive(batch, nameof(batch), "attention");
        KernelGeometry.Positive(maxSeq, nameof(maxSeq), "attention");
        if (headDim <= 0 || headDim > MaxHeadDim)
            throw new ArgumentOutOfRangeException(nameof(headDim), headDim, $"attention: headDim must be in (0, {MaxHeadDim}]");
        if (nHeads % nKvHeads != 0)
            throw new ArgumentException($"attention: {nHeads} query heads are not a multiple of {nKvHeads} key/value heads");
        if (rows % seqLen != 0 || rows / seqLen > batch)
            throw new ArgumentException($"attention: {rows} rows are not whole sequences of {seqLen} for a cache of {batch} sequences");
        if (maxPosition < 0 || maxPosition >= maxSeq)
            throw new ArgumentOutOfRangeException(nameof(maxPosition), maxPosition, $"attention: positions must lie in [0, {maxSeq})");
    }
}
