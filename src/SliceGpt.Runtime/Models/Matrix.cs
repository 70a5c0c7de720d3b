using System.Numerics;

namespace SliceGpt.Runtime.Models;

/// <summary>A dense row-major matrix that owns its storage. Weights are stored [out, in].</summary>
/// <typeparam name="T">float (inference) or double (rotation arithmetic and the exactness tests).</typeparam>
public sealed class Matrix<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns (the row length).</summary>
    public int Cols { get; }

    /// <summary>The elements, row after row. Mutating them is reserved to the builders of a model.</summary>
    internal T[] Data { get; }

    /// <summary>Creates a zero matrix.</summary>
    public Matrix(int rows, int cols) : this(rows, cols, new T[checked(rows * cols)])
    {
    }

    /// <summary>Wraps <paramref name="data"/>, which must hold rows × cols elements.</summary>
    public Matrix(int rows, int cols, T[] data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (data.Length != (long)rows * cols)
            throw new ArgumentException($"a {rows}×{cols} matrix needs {(long)rows * cols} elements, got {data.Length}");
        Rows = rows;
        Cols = cols;
        Data = data;
    }

    /// <summary>All elements, row-major.</summary>
    public ReadOnlySpan<T> Span => Data;

    /// <summary>One row.</summary>
    public ReadOnlySpan<T> Row(int r) => Data.AsSpan(r * Cols, Cols);

    /// <summary>The element at (r, c).</summary>
    public T this[int r, int c] => Data[r * Cols + c];

    /// <summary>"rows×cols".</summary>
    public string ShapeText => $"{Rows}×{Cols}";

    /// <summary>A deep copy.</summary>
    public Matrix<T> Clone() => new(Rows, Cols, (T[])Data.Clone());

    /// <summary>Converts every element to <typeparamref name="TOut"/>.</summary>
    public Matrix<TOut> Convert<TOut>() where TOut : unmanaged, IBinaryFloatingPointIeee754<TOut>
    {
        var result = new TOut[Data.Length];
        for (int i = 0; i < result.Length; i++)
            result[i] = TOut.CreateTruncating(Data[i]);
        return new Matrix<TOut>(Rows, Cols, result);
    }
}
