using System.Buffers.Binary;
using System.Text.Json;

namespace SliceGpt.Runtime.Checkpoints;

/// <summary>
/// The parsed and validated header of one safetensors file: an 8-byte little-endian length, then that many
/// bytes of JSON mapping each tensor name to its dtype, shape and [begin, end) offsets in the data section
/// that follows, plus an optional string map <c>__metadata__</c>.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>Headers larger than this are refused (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The tensors by name; offsets are absolute file offsets.</summary>
    public required IReadOnlyDictionary<string, TensorInfo> Tensors { get; init; }

    /// <summary>The <c>__metadata__</c> strings (empty when absent).</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>Parses and validates the header of <paramref name="file"/>; every violation names the file and tensor.</summary>
    /// <exception cref="CheckpointFormatException">The file is truncated, malformed or inconsistent.</exception>
    public static SafetensorsHeader Parse(MappedFile file)
    {
        var path = file.Path;
        if (file.Length < 8)
            throw new CheckpointFormatException(path, null, "header length", "an 8-byte little-endian header length", $"a file of {file.Length} bytes");
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(file.Bytes(0, 8));
        if (declared > MaxHeaderBytes)
            throw new CheckpointFormatException(path, null, "header length", $"at most {MaxHeaderBytes} bytes", $"{declared}");
        if ((long)declared > file.Length - 8)
            throw new CheckpointFormatException(path, null, "header length", $"at most {file.Length - 8} bytes (the file is {file.Length} bytes; truncated?)", $"{declared}");
        int headerLength = (int)declared;
        long dataStart = 8 + headerLength;
        long dataLength = file.Length - dataStart;

        // System.Text.Json checks UTF-8 only when a string is read; a header with invalid bytes is refused here instead.
        int invalid = IO.Utf8Text.IndexOfInvalid(file.Bytes(8, headerLength));
        if (invalid >= 0)
            throw new CheckpointFormatException(path, null, "header", "UTF-8 JSON", $"an invalid UTF-8 byte at file offset {8 + invalid}");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(file.Bytes(8, headerLength).ToArray());
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, null, "header", "a JSON object", $"invalid JSON ({e.Message})", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(path, null, "header", "a JSON object", doc.RootElement.ValueKind.ToString());
            var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (sawMetadata)
                        throw new CheckpointFormatException(path, null, "__metadata__", "one metadata object", "two");
                    sawMetadata = true;
                    ReadMetadata(path, property.Value, metadata);
                    continue;
                }
                var info = ReadEntry(path, property.Name, property.Value, dataStart, dataLength);
                if (!tensors.TryAdd(info.Name, info))
                    throw new CheckpointFormatException(path, info.Name, null, "unique tensor names", "the name twice in the header");
            }
            CheckNoOverlap(path, tensors.Values, dataStart);
            return new SafetensorsHeader { Tensors = tensors, Metadata = metadata };
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(path, null, "__metadata__", "an object of strings", value.ValueKind.ToString());
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointFormatException(path, null, $"__metadata__.{entry.Name}", "a string", entry.Value.GetRawText());
            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private static TensorInfo ReadEntry(string path, string name, JsonElement entry, long dataStart, long dataLength)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(path, name, null, "an object with dtype, shape and data_offsets", entry.ValueKind.ToString());
        if (!entry.TryGetProperty("dtype", out var dtypeValue) || dtypeValue.ValueKind != JsonValueKind.String)
            throw new CheckpointFormatException(path, name, "dtype", "a dtype string", Describe(entry, "dtype"));
        if (!TensorDTypes.TryParse(dtypeValue.GetString()!, out var dtype))
            throw new CheckpointFormatException(path, name, "dtype", "one of F32, F16, BF16, F64, I8, U8, I16, I32, I64, BOOL", dtypeValue.GetString()!);
        var shape = ReadIntegers(path, name, entry, "shape", count: null);
        var offsets = ReadIntegers(path, name, entry, "data_offsets", count: 2);
        long begin = offsets[0], end = offsets[1];
        if (begin > end)
            throw new CheckpointFormatException(path, name, "data_offsets", "begin ≤ end", $"[{begin}, {end}]");
        if (end > dataLength)
            throw new CheckpointFormatException(path, name, "data_offsets",
                $"an end within the {dataLength}-byte data section (truncated file?)", $"[{begin}, {end}]");
        long elements = 1;
        try
        {
            foreach (var d in shape)
                elements = checked(elements * d);
            long bytes = checked(elements * dtype.Size());
            if (bytes != end - begin)
                throw new CheckpointFormatException(path, name, "data_offsets",
                    $"{bytes} bytes ({dtype.SafetensorsName()} × {elements} elements of shape [{string.Join(", ", shape)}])", $"{end - begin} bytes");
        }
        catch (OverflowException)
        {
            throw new CheckpointFormatException(path, name, "shape", "a shape whose size fits in 64 bits", $"[{string.Join(", ", shape)}]");
        }
        return new TensorInfo(name, dtype, shape, path, dataStart + begin, end - begin);
    }

    private static long[] ReadIntegers(string path, string name, JsonElement entry, string field, int? count)
    {
        if (!entry.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.Array
            || (count is int n && value.GetArrayLength() != n))
            throw new CheckpointFormatException(path, name, field, count is null ? "an array of non-negative integers" : $"an array of {count} non-negative integers", Describe(entry, field));
        var result = new long[value.GetArrayLength()];
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var v) || v < 0)
                throw new CheckpointFormatException(path, name, field, "non-negative integers", value.GetRawText());
            result[i++] = v;
        }
        return result;
    }

    private static string Describe(JsonElement entry, string field) =>
        entry.TryGetProperty(field, out var v) ? v.GetRawText() : "nothing (the field is missing)";

    private static void CheckNoOverlap(string path, IEnumerable<TensorInfo> tensors, long dataStart)
    {
        TensorInfo? previous = null;
        foreach (var t in tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.ByteOffset))
        {
            if (previous is not null && t.ByteOffset < previous.ByteOffset + previous.ByteLength)
                throw new CheckpointFormatException(path, t.Name, "data_offsets",
                    $"bytes not shared with another tensor ('{previous.Name}' ends at data offset {previous.ByteOffset + previous.ByteLength - dataStart})",
                    $"a start at data offset {t.ByteOffset - dataStart}");
            previous = t;
        }
    }
}
