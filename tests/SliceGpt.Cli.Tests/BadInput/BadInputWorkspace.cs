using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace SliceGpt.Cli.Tests.BadInput;

/// <summary>
/// A writable copy of the real stories260K-hf checkpoint (config.json, model.safetensors, tok512.bin) and a short UTF-8
/// text in a fresh temporary folder, with helpers that corrupt one thing each, and a snapshot of every file so a test can
/// prove that a failed run changed nothing and wrote nothing.
/// </summary>
internal sealed class BadInputWorkspace : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("slicegpt-badinput-").FullName;

    public string Model => Path.Combine(Root, "model");

    public string Weights => Path.Combine(Model, "model.safetensors");

    public string Config => Path.Combine(Model, "config.json");

    public string Tokenizer => Path.Combine(Model, "tok512.bin");

    public string Text => Path.Combine(Root, "text.txt");

    /// <summary>Where a slice writes; it must not exist after a failed run.</summary>
    public string Output => Path.Combine(Root, "out");

    public BadInputWorkspace()
    {
        Directory.CreateDirectory(Model);
        foreach (var name in new[] { "config.json", "model.safetensors", "tok512.bin" })
        {
            var target = Path.Combine(Model, name);
            File.Copy(CliRunner.Shared("models", "stories260K-hf", name), target);
            File.SetAttributes(target, FileAttributes.Normal); // the shared fixtures are read-only
        }
        // The first ~24 kB of the TinyStories sample, cut at a line: enough for 8 rows of 64 tokens.
        var lines = File.ReadLines(CliRunner.Shared("data", "tinystories-valid-sample", "tinystories_val.txt"));
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            if (text.Length > 24_000)
                break;
            text.Append(line).Append('\n');
        }
        File.WriteAllText(Text, text.ToString());
    }

    public string this[string name] => Path.Combine(Root, name);

    // ---- safetensors ----

    /// <summary>The header JSON and the data section of model.safetensors.</summary>
    public (JsonObject Header, byte[] Data) ReadWeights()
    {
        var bytes = File.ReadAllBytes(Weights);
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject();
        return (header, bytes[(8 + length)..]);
    }

    /// <summary>Rewrites model.safetensors with the header edited (its length prefix recomputed) and the same data.</summary>
    public void EditHeader(Action<JsonObject> edit)
    {
        var (header, data) = ReadWeights();
        edit(header);
        WriteWeights(Encoding.UTF8.GetBytes(header.ToJsonString()), data);
    }

    /// <summary>Rewrites model.safetensors with raw header bytes (its length prefix recomputed unless given) and <paramref name="data"/>.</summary>
    public void WriteWeights(byte[] header, byte[] data, ulong? declaredLength = null)
    {
        using var stream = File.Create(Weights);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, declaredLength ?? (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        stream.Write(data);
    }

    /// <summary>Overwrites element <paramref name="index"/> of an F32 tensor.</summary>
    public void SetWeight(string tensor, int index, float value) => SetWeights(tensor, (i, old) => i == index ? value : old);

    /// <summary>Rewrites every element of an F32 tensor: element i becomes <c>value(i, old)</c>.</summary>
    public void SetWeights(string tensor, Func<int, float, float> value)
    {
        var bytes = File.ReadAllBytes(Weights);
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject();
        long begin = header[tensor]!["data_offsets"]![0]!.GetValue<long>();
        long end = header[tensor]!["data_offsets"]![1]!.GetValue<long>();
        for (int i = 0; i < (end - begin) / 4; i++)
        {
            var at = bytes.AsSpan((int)(8 + length + begin + 4L * i), 4);
            BinaryPrimitives.WriteSingleLittleEndian(at, value(i, BinaryPrimitives.ReadSingleLittleEndian(at)));
        }
        File.WriteAllBytes(Weights, bytes);
    }

    // ---- config.json ----

    public void EditConfig(Action<JsonObject> edit)
    {
        var config = JsonNode.Parse(File.ReadAllText(Config))!.AsObject();
        edit(config);
        File.WriteAllText(Config, config.ToJsonString());
    }

    // ---- snapshots ----

    /// <summary>Every file and folder under the root, with a SHA-256 of each file's content.</summary>
    public SortedDictionary<string, string> Snapshot()
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Root, entry);
            result[relative] = Directory.Exists(entry) ? "folder" : Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(entry)));
        }
        return result;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
