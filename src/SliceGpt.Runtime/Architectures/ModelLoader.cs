using System.Numerics;
using SliceGpt.Runtime.Architectures;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.IO;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

/// <summary>
/// Opens a model from a Hugging Face folder (config.json + safetensors) or a llama2.c <c>.bin</c> file.
/// The architecture always comes from the checkpoint's own description, never from its path.
/// </summary>
public static class ModelLoader
{
    /// <summary>Reads only the configuration (no weights): config.json, or the llama2.c header.</summary>
    public static ModelConfig ReadConfig(string path)
    {
        if (IsLlama2cFile(path))
        {
            using var checkpoint = Llama2cCheckpoint.Open(path);
            return ConfigOf(checkpoint.Header);
        }
        return ReadHuggingFaceConfig(ConfigJson.Load(ConfigPath(path))).Config;
    }

    /// <summary>Loads the whole model, converting the stored weights to <typeparamref name="T"/>.</summary>
    public static TransformerModel<T> Load<T>(string path) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        using var checkpoint = Open(path);
        return checkpoint.Adapter.Load<T>(checkpoint.Source, checkpoint.Config);
    }

    /// <summary>
    /// Opens a checkpoint without reading its weights: the adapter, the validated configuration and the memory-mapped
    /// tensors, for callers that read blocks one at a time (<see cref="ArchitectureAdapter.LoadShell{T}"/>,
    /// <see cref="ArchitectureAdapter.LoadLayer{T}(ITensorSource, ModelConfig, int)"/>). Dispose it to unmap the files.
    /// </summary>
    public static OpenCheckpoint Open(string path)
    {
        if (IsLlama2cFile(path))
        {
            var llama2c = Llama2cCheckpoint.Open(path);
            var config = ConfigOf(llama2c.Header);
            return new OpenCheckpoint(ArchitectureRegistry.For(config.Family), config, llama2c);
        }
        var (adapter, hfConfig) = ReadHuggingFaceConfig(ConfigJson.Load(ConfigPath(path)));
        return new OpenCheckpoint(adapter, hfConfig, SafetensorsCheckpoint.Open(path));
    }

    /// <summary>The adapter and validated configuration of a config.json, with its slicegpt section when present.</summary>
    public static (ArchitectureAdapter Adapter, ModelConfig Config) ReadHuggingFaceConfig(ConfigJson json)
    {
        var adapter = ArchitectureRegistry.Resolve(json);
        var config = adapter.ReadConfig(json);
        config.Validate(json.File);
        if (json.Get(SliceMetadata.Key) is { } section)
        {
            config = config with
            {
                Slicing = SliceMetadata.Parse(json.File, section, config.NLayers, config.Dim, config.Block == BlockKind.Parallel),
            };
        }
        return (adapter, config);
    }

    /// <summary>
    /// The default tokenizer of a model: <c>tokenizer.json</c> in its folder, else <c>vocab.json</c> with
    /// <c>merges.txt</c> (OPT/GPT-2 files), else the single llama2.c tokenizer file (<c>*.bin</c> that is not a
    /// checkpoint) beside it; null when there is none.
    /// </summary>
    /// <exception cref="InputValidationException">The model does not exist, or several candidate tokenizer files: the caller must choose.</exception>
    public static string? FindTokenizer(string modelPath)
    {
        RequireExists(modelPath);
        var folder = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        var json = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(json))
            return json;
        var vocab = Path.Combine(folder, "vocab.json");
        if (File.Exists(vocab) && File.Exists(Path.Combine(folder, "merges.txt")))
            return vocab;
        var model = Path.GetFullPath(modelPath);
        var candidates = Directory.GetFiles(folder, "*.bin")
            .Where(f => Path.GetFullPath(f) != model && !IsPyTorchFile(f) && !LooksLikeLlama2cModel(f))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();
        return candidates.Count switch
        {
            0 => null,
            1 => candidates[0],
            _ => throw new InputValidationException(folder, "tokenizer",
                $"several tokenizer files ({string.Join(", ", candidates.Select(Path.GetFileName))}); choose one with --tokenizer"),
        };
    }

    /// <summary>True when <paramref name="path"/> is a file (llama2.c checkpoint) rather than a folder.</summary>
    public static bool IsLlama2cFile(string path) => File.Exists(path);

    private static ModelConfig ConfigOf(Llama2cHeader h) => LlamaAdapter.ConfigFromLlama2c(
        h.Dim, h.HiddenDim, h.NLayers, h.NHeads, h.NKvHeads, h.VocabSize, h.SeqLen, h.SharedClassifier);

    private static string ConfigPath(string folder)
    {
        RequireExists(folder);
        return Path.Combine(folder, "config.json");
    }

    /// <summary>Checks that <paramref name="path"/> is a model folder or a checkpoint file, before anything else is read.</summary>
    /// <exception cref="InputValidationException">"model not found: PATH".</exception>
    public static void RequireExists(string path)
    {
        if (!Directory.Exists(path) && !File.Exists(path))
            throw InputValidationException.ModelNotFound(path);
    }

    // PyTorch pickles in Hugging Face folders (weights, trainer state) are never tokenizers.
    private static bool IsPyTorchFile(string file) =>
        Path.GetFileName(file) is var name && (name.StartsWith("pytorch_model", StringComparison.Ordinal) || name == "training_args.bin");

    // A llama2.c model is much larger than its tokenizer; the header's first int (dim) is a small positive
    // number and the file size matches the layout. Tokenizer files start with max_token_length instead.
    private static bool LooksLikeLlama2cModel(string file)
    {
        try
        {
            using var checkpoint = Llama2cCheckpoint.Open(file);
            return true;
        }
        catch (CheckpointFormatException)
        {
            return false;
        }
    }
}
