using System.Buffers;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Numerics;

namespace SliceGpt.Runtime.Diagnostics;

/// <summary>
/// Reads every floating-point tensor of a checkpoint once, checking that each value is finite, before work that would
/// otherwise meet a corrupt tensor only when it gets there (slicing streams the checkpoint one block at a time).
/// </summary>
public static class CheckpointVerifier
{
    /// <summary>Reads and checks every floating-point tensor of <paramref name="source"/>.</summary>
    /// <exception cref="NonFiniteValueException">A NaN or infinite weight; the message names the file, the tensor and the index.</exception>
    public static void RequireFinite(ITensorSource source)
    {
        foreach (var name in source.Names.Order(StringComparer.Ordinal))
        {
            if (!source.TryGetInfo(name, out var info) || !info.DType.IsFloatingPoint() || info.ElementCount == 0)
                continue;
            // Every tensor the engine loads fits one array (the loaders allocate it whole), so one rented buffer does too.
            if (info.ElementCount > Array.MaxLength)
                throw new CheckpointFormatException(info.File, name, "shape", $"at most {Array.MaxLength} elements", $"{info.ElementCount} ({info.ShapeText})");
            var buffer = ArrayPool<float>.Shared.Rent((int)info.ElementCount);
            try
            {
                source.Read(name, buffer.AsSpan(0, (int)info.ElementCount));
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        }
    }
}
