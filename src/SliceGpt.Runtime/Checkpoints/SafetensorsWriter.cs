using System.Runtime.InteropServices;
using System.Text.Json;

namespace SliceGpt.Runtime.Checkpoints;

/// <summary>
/// Writes a safetensors file: the header lists <c>__metadata__</c> first, then the tensors sorted by name,
/// is padded with spaces to a multiple of 8 bytes (so the data section starts 8-byte aligned), and the
/// tensors' bytes follow contiguously in the same order. Equal inputs give byte-identical files, and
/// reading a written file back returns the stored values bit for bit.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly SortedDictionary<string, (TensorDType DType, long[] Shape, byte[] Bytes)> _tensors = new(StringComparer.Ordinal);

    /// <summary>String metadata stored under <c>__metadata__</c>.</summary>
    public SortedDictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal) { ["format"] = "pt" };

    /// <summary>Adds a tensor from its raw little-endian bytes.</summary>
    public void Add(string name, TensorDType dtype, long[] shape, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == "__metadata__")
            throw new ArgumentException("'__metadata__' is reserved", nameof(name));
        long elements = shape.Aggregate(1L, (a, d) => d < 0 ? throw new ArgumentException($"tensor '{name}': negative dimension in [{string.Join(", ", shape)}]") : checked(a * d));
        if (elements * dtype.Size() != bytes.Length)
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtype.SafetensorsName()} needs {elements * dtype.Size()} bytes, got {bytes.Length}");
        if (!_tensors.TryAdd(name, (dtype, (long[])shape.Clone(), bytes)))
            throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
    }

    /// <summary>Adds a float32 tensor.</summary>
    public void AddFloat32(string name, long[] shape, ReadOnlySpan<float> values) =>
        Add(name, TensorDType.F32, shape, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>Adds a float64 tensor.</summary>
    public void AddFloat64(string name, long[] shape, ReadOnlySpan<double> values) =>
        Add(name, TensorDType.F64, shape, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>Adds a tensor converted from float32 to <paramref name="dtype"/> (F32, F16 round-to-nearest-even, BF16 likewise).</summary>
    public void AddConverted(string name, TensorDType dtype, long[] shape, ReadOnlySpan<float> values)
    {
        switch (dtype)
        {
            case TensorDType.F32:
                AddFloat32(name, shape, values);
                break;
            case TensorDType.F16:
                var halves = new Half[values.Length];
                System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(values, halves);
                Add(name, dtype, shape, MemoryMarshal.AsBytes(halves.AsSpan()).ToArray());
                break;
            case TensorDType.BF16:
                var bf = new ushort[values.Length];
                for (int i = 0; i < bf.Length; i++)
                    bf[i] = ElementConversion.ToBFloat16(values[i]);
                Add(name, dtype, shape, MemoryMarshal.AsBytes(bf.AsSpan()).ToArray());
                break;
            default:
                throw new ArgumentException($"tensors are stored as F32, F16 or BF16, not {dtype}", nameof(dtype));
        }
    }

    /// <summary>The header bytes, padded with spaces to a multiple of 8.</summary>
    public byte[] HeaderBytes()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach (var (key, value) in Metadata)
                json.WriteString(key, value);
            json.WriteEndObject();
            long offset = 0;
            foreach (var (name, (dtype, shape, bytes)) in _tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype.SafetensorsName());
                json.WriteStartArray("shape");
                foreach (var d in shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes.Length;
            }
            json.WriteEndObject();
        }
        int padded = (int)((buffer.Length + 7) / 8 * 8);
        var header = new byte[padded];
        Array.Fill(header, (byte)' ');
        buffer.ToArray().CopyTo(header, 0);
        return header;
    }

    /// <summary>Size of the file in bytes: the length prefix, the padded header and the tensors.</summary>
    public long ByteLength => 8 + HeaderBytes().Length + _tensors.Values.Sum(t => (long)t.Bytes.Length);

    /// <summary>
    /// Writes the file. It is written beside <paramref name="path"/> under a temporary name, flushed to the disk and renamed
    /// when complete, so a failure never leaves a half-written file at <paramref name="path"/>.
    /// </summary>
    /// <exception cref="IO.OutputWriteException">The file system refused; the message names the path and the reason.</exception>
    public void Write(string path) => IO.AtomicFile.Write(path, WriteTo);

    /// <summary>Writes the file's bytes to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        var header = HeaderBytes();
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var (_, (_, _, bytes)) in _tensors)
            stream.Write(bytes);
    }

    /// <summary>Tensor names in file order.</summary>
    public IEnumerable<string> Names => _tensors.Keys;
}
