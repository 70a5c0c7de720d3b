namespace SliceGpt.Runtime.Inference;

/// <summary>A pass needs more KV-cache blocks than are free: finish or release sequences first (a server queues the request).</summary>
public sealed class KvCacheExhaustedException(int needed, int free, int blocks, int blockSize)
    : InvalidOperationException($"the pass needs {needed} more KV-cache blocks of {blockSize} positions; {free} of {blocks} are free")
{
    /// <summary>Blocks the pass needed.</summary>
    public int Needed { get; } = needed;

    /// <summary>Blocks that were free.</summary>
    public int Free { get; } = free;
}
