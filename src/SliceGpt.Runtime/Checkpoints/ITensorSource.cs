namespace SliceGpt.Runtime.Checkpoints;

/// <summary>
/// Read access to the named tensors of a checkpoint (one safetensors file, a sharded set, or a llama2.c file).
/// Implementations memory-map their files and convert on read; the source must stay alive while reading.
/// </summary>
public interface ITensorSource : IDisposable
{
    /// <summary>A human-readable location (the folder or file), used in error messages.</summary>
    string Location { get; }

    /// <summary>All tensor names.</summary>
    IReadOnlyCollection<string> Names { get; }

    /// <summary>The tensor's description, or false if there is no such tensor.</summary>
    bool TryGetInfo(string name, out TensorInfo info);

    /// <summary>Copies the tensor into <paramref name="destination"/> converted to float32.</summary>
    /// <exception cref="CheckpointFormatException">The tensor is missing or the destination has the wrong length.</exception>
    /// <exception cref="Numerics.NonFiniteValueException">A stored value is NaN or infinite.</exception>
    void Read(string name, Span<float> destination);

    /// <summary>Copies the tensor into <paramref name="destination"/> converted to float64.</summary>
    /// <exception cref="CheckpointFormatException">The tensor is missing or the destination has the wrong length.</exception>
    /// <exception cref="Numerics.NonFiniteValueException">A stored value is NaN or infinite.</exception>
    void Read(string name, Span<double> destination);
}
