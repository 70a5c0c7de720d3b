using SliceGpt.Kernels.Args;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels;

/// <summary>Launches kvcache.cu: the k and v parts of fresh qkv rows copied into one layer's KV cache.</summary>
public sealed class KvCacheKernels
{
    private const string File = "kvcache.cu";
    private readonly KernelEntry _append;

    internal KvCacheKernels(CudaKernels kernels) => _append = new KernelEntry(kernels, File, "kv_append");

    /// <summary>The source file and entry points.</summary>
    public static KernelFamily Family { get; } = KernelFamily.Of(File, "kv_append");

    /// <summary>
    /// For each row r of qkv [rows, qDim + 2·kvDim] (rows = sequences · seqLen, row r in sequence r / seqLen),
    /// copies its keys and values to cache row (r / seqLen)·maxSeq + positions[r] of the caches
    /// [batch, maxSeq, kvDim], as CpuSession does. Rows whose position is outside [0, maxSeq) are skipped.
    /// </summary>
    public void Append<T>(CudaStream stream, DeviceMemory<T> qkv, DeviceMemory<int> positions,
        DeviceMemory<T> keyCache, DeviceMemory<T> valueCache, int rows, int seqLen, int nHeads, int nKvHeads,
        int headDim, int batch, int maxSeq) where T : unmanaged
    {
        KernelGeometry.NonNegative(rows, nameof(rows), "kv_append");
        KernelGeometry.Positive(seqLen, nameof(seqLen), "kv_append");
        KernelGeometry.Positive(nHeads, nameof(nHeads), "kv_append");
        KernelGeometry.Positive(nKvHeads, nameof(nKvHeads), "kv_append");
        KernelGeometry.Positive(headDim, nameof(headDim), "kv_append");
        KernelGeometry.Positive(batch, nameof(batch), "kv_append");
        KernelGeometry.Positive(maxSeq, nameof(maxSeq), "kv_append");
        if (rows % seqLen != 0 || rows / seqLen > batch)
            throw new ArgumentException($"kv_append: {rows} rows are not whole sequences of {seqLen} for a cache of {batch} sequences");
        if (rows == 0)
            return;
        int qDim = nHeads * headDim, kvDim = nKvHeads * headDim, stride = qDim + 2 * kvDim;
        qkv.EnsureLength((long)rows * stride, "kv_append: qkv [rows, qDim + 2·kvDim]");
        positions.EnsureLength(rows, "kv_append: positions [rows]");
        keyCache.EnsureLength((long)batch * maxSeq * kvDim, "kv_append: keyCache [batch, maxSeq, kvDim]");
        valueCache.EnsureLength((long)batch * maxSeq * kvDim, "kv_append: valueCache [batch, maxSeq, kvDim]");
        var args = new KvAppendArgs
        {
            Qkv = qkv.Address, Positions = positions.Address, KeyCache = keyCache.Address, ValueCache = valueCache.Address,
            Rows = rows, Stride = stride, QDim = qDim, KvDim = kvDim, SeqLen = seqLen, MaxSeq = maxSeq,
        };
        KernelLauncher.Launch(_append.For<T>(), LaunchGeometry.Linear(rows, KernelGeometry.RowThreads(kvDim * 4)), stream, args);
    }
}
