using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

/// <summary>A checkpoint opened for reading: its family's adapter, its configuration and its (memory-mapped) tensors.</summary>
/// <param name="Adapter">The family that reads it.</param>
/// <param name="Config">The validated configuration.</param>
/// <param name="Source">The tensors; valid until this object is disposed.</param>
public sealed record OpenCheckpoint(ArchitectureAdapter Adapter, ModelConfig Config, ITensorSource Source) : IDisposable
{
    /// <summary>Unmaps the checkpoint's files.</summary>
    public void Dispose() => Source.Dispose();
}
