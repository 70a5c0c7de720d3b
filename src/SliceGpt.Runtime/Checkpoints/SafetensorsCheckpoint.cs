using System.Text.Json;
using SliceGpt.Runtime.IO;

namespace SliceGpt.Runtime.Checkpoints;

/// <summary>
/// The weights of a Hugging Face folder: <c>model.safetensors</c>, or the shards listed by
/// <c>model.safetensors.index.json</c>. Every file is memory-mapped and validated on open
/// (see <see cref="SafetensorsHeader"/>); tensors are converted to float32/float64 on read.
/// </summary>
public sealed class SafetensorsCheckpoint : ITensorSource
{
    /// <summary>The single-file weights name.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>The index of a sharded checkpoint.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<MappedFile> _files;
    private readonly Dictionary<string, (TensorInfo Info, MappedFile File)> _tensors;

    /// <inheritdoc/>
    public string Location { get; }

    /// <summary>The <c>__metadata__</c> of the (first) file.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    private SafetensorsCheckpoint(string location, List<MappedFile> files,
        Dictionary<string, (TensorInfo, MappedFile)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Location = location;
        _files = files;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Opens the weights of <paramref name="folder"/> (or one <c>.safetensors</c> file).</summary>
    /// <exception cref="CheckpointFormatException">Missing, truncated, malformed or inconsistent files.</exception>
    public static SafetensorsCheckpoint Open(string folder)
    {
        if (File.Exists(folder) && folder.EndsWith(".safetensors", StringComparison.Ordinal))
            return OpenFiles(folder, [Path.GetFullPath(folder)], expected: null);
        var single = Path.Combine(folder, SingleFileName);
        var index = Path.Combine(folder, IndexFileName);
        if (File.Exists(single))
            return OpenFiles(folder, [single], expected: null);
        if (File.Exists(index))
        {
            var weightMap = ReadIndex(index);
            var shards = weightMap.Values.Distinct(StringComparer.Ordinal).OrderBy(s => s, StringComparer.Ordinal)
                .Select(s => Path.Combine(folder, s)).ToList();
            return OpenFiles(folder, shards, (index, weightMap));
        }
        throw new CheckpointFormatException(folder, null, null, $"{SingleFileName} or {IndexFileName}", "neither file");
    }

    private static SafetensorsCheckpoint OpenFiles(string location, List<string> paths,
        (string Index, Dictionary<string, string> WeightMap)? expected)
    {
        var files = new List<MappedFile>();
        try
        {
            var tensors = new Dictionary<string, (TensorInfo, MappedFile)>(StringComparer.Ordinal);
            IReadOnlyDictionary<string, string>? metadata = null;
            foreach (var path in paths)
            {
                if (!File.Exists(path))
                    throw new CheckpointFormatException(expected?.Index ?? path, null, "weight_map", $"the shard {Path.GetFileName(path)} to exist", "no such file");
                var file = MappedFile.Open(path);
                files.Add(file);
                var header = SafetensorsHeader.Parse(file);
                metadata ??= header.Metadata;
                foreach (var info in header.Tensors.Values)
                {
                    if (tensors.TryGetValue(info.Name, out var other))
                        throw new CheckpointFormatException(path, info.Name, null, "each tensor in one shard only", $"it also in {other.Item1.File}");
                    tensors[info.Name] = (info, file);
                }
            }
            if (expected is var (index, weightMap))
                CheckWeightMap(index, location, weightMap, tensors);
            return new SafetensorsCheckpoint(location, files, tensors, metadata ?? new Dictionary<string, string>());
        }
        catch
        {
            foreach (var f in files)
                f.Dispose();
            throw;
        }
    }

    private static Dictionary<string, string> ReadIndex(string index)
    {
        try
        {
            var bytes = InputFiles.ReadAllBytes(index);
            Utf8Text.RequireValid(index, bytes);
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(index, null, "weight_map", "an object mapping tensor names to shard files", "none");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                var shard = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : "";
                if (shard.Length == 0 || shard != Path.GetFileName(shard))
                    throw new CheckpointFormatException(index, entry.Name, "weight_map", "a shard file name in the same folder", entry.Value.GetRawText());
                if (!result.TryAdd(entry.Name, shard))
                    throw new CheckpointFormatException(index, entry.Name, "weight_map", "unique tensor names", "the name twice");
            }
            return result;
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(index, null, null, "valid JSON", e.Message, e);
        }
    }

    private static void CheckWeightMap(string index, string folder, Dictionary<string, string> weightMap,
        Dictionary<string, (TensorInfo Info, MappedFile File)> tensors)
    {
        foreach (var (name, shard) in weightMap)
        {
            if (!tensors.TryGetValue(name, out var found))
                throw new CheckpointFormatException(index, name, "weight_map", $"the tensor in {shard}", "no such tensor in any shard");
            if (Path.GetFileName(found.Info.File) != shard)
                throw new CheckpointFormatException(index, name, "weight_map", $"the tensor in {shard}", $"it in {Path.GetFileName(found.Info.File)}");
        }
    }

    /// <inheritdoc/>
    public IReadOnlyCollection<string> Names => _tensors.Keys;

    /// <inheritdoc/>
    public bool TryGetInfo(string name, out TensorInfo info)
    {
        if (_tensors.TryGetValue(name, out var entry))
        {
            info = entry.Info;
            return true;
        }
        info = null!;
        return false;
    }

    /// <inheritdoc/>
    public void Read(string name, Span<float> destination) => TensorReader.Read(FileOf(name, out var info), info, destination);

    /// <inheritdoc/>
    public void Read(string name, Span<double> destination) => TensorReader.Read(FileOf(name, out var info), info, destination);

    private MappedFile FileOf(string name, out TensorInfo info)
    {
        if (!_tensors.TryGetValue(name, out var entry))
            throw new CheckpointFormatException(Location, name, null, "the tensor", "no such tensor");
        info = entry.Info;
        return entry.File;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var f in _files)
            f.Dispose();
        _files.Clear();
    }
}
