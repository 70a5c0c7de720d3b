using System.Numerics;
using System.Runtime.InteropServices;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

/// <summary>
/// Reads named tensors into model storage, checking each against the shape that <c>config.json</c> implies.
/// Fused projections are assembled by stacking several checkpoint tensors row-wise.
/// </summary>
internal sealed class WeightReader<T>(ITensorSource source) where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public bool Has(string name) => source.TryGetInfo(name, out _);

    // Every tensor's shape is checked before its storage is allocated: a config.json with absurd sizes must fail on the
    // first mismatching tensor, not by asking for gigabytes.
    public Matrix<T> Matrix(string name, int rows, int cols)
    {
        Check(name, [rows, cols]);
        var result = new Matrix<T>(rows, cols);
        ReadInto(name, [rows, cols], result.Data);
        return result;
    }

    public T[] Vector(string name, int length)
    {
        Check(name, [length]);
        var result = new T[length];
        ReadInto(name, [length], result);
        return result;
    }

    public T[]? OptionalVector(string name, int length) => Has(name) ? Vector(name, length) : null;

    /// <summary>Stacks [rows_i, cols] tensors into one [Σ rows_i, cols] matrix (fused projections).</summary>
    public Matrix<T> StackRows(int cols, params (string Name, int Rows)[] parts)
    {
        foreach (var (name, rows) in parts)
            Check(name, [rows, cols]);
        var result = new Matrix<T>(parts.Sum(p => p.Rows), cols);
        int offset = 0;
        foreach (var (name, rows) in parts)
        {
            ReadInto(name, [rows, cols], result.Data.AsSpan(offset, rows * cols));
            offset += rows * cols;
        }
        return result;
    }

    /// <summary>Stacks optional bias vectors; null when none is present, zeros for the missing ones otherwise.</summary>
    public T[]? StackBiases(params (string Name, int Length)[] parts)
    {
        if (!parts.Any(p => Has(p.Name)))
            return null;
        foreach (var (name, length) in parts)
        {
            if (Has(name))
                Check(name, [length]);
        }
        var result = new T[parts.Sum(p => p.Length)];
        int offset = 0;
        foreach (var (name, length) in parts)
        {
            if (Has(name))
                ReadInto(name, [length], result.AsSpan(offset, length));
            offset += length;
        }
        return result;
    }

    private void Check(string name, long[] shape)
    {
        if (!source.TryGetInfo(name, out var info))
            throw new CheckpointFormatException(source.Location, name, null,
                $"a tensor of shape [{string.Join(", ", shape)}] (from config.json)", "no such tensor");
        if (!info.Shape.SequenceEqual(shape))
            throw new CheckpointFormatException(info.File, name, "shape",
                $"[{string.Join(", ", shape)}] (from config.json)", info.ShapeText);
    }

    private void ReadInto(string name, long[] shape, Span<T> destination)
    {
        Check(name, shape);
        if (typeof(T) == typeof(float))
            source.Read(name, MemoryMarshal.Cast<T, float>(destination));
        else if (typeof(T) == typeof(double))
            source.Read(name, MemoryMarshal.Cast<T, double>(destination));
        else
            throw new NotSupportedException($"weights are read as float or double, not {typeof(T).Name}");
    }
}
