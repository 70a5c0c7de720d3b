using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SliceGpt.Runtime.Architectures;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.IO;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// Writes a sliced model as a Hugging Face-style folder: <c>config.json</c> (the original's fields plus the
/// <c>slicegpt</c> section), <c>model.safetensors</c> (sliced weights under the family's names, shortcut matrices
/// as named tensors) and the tokenizer files. The folder is assembled under a temporary sibling name and renamed
/// when complete; the input is never touched, and an existing output is replaced only when forced.
/// </summary>
public static class SlicedCheckpointWriter
{
    private static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt", "generation_config.json"];

    /// <summary>
    /// Checks that <paramref name="output"/> may be written for <paramref name="sourceModel"/> before any work is done: it
    /// is not the input nor inside it, it is not an existing file, it exists only if <paramref name="force"/>, its folder
    /// can be created and written, and <paramref name="requiredBytes"/> are free there. Nothing is created.
    /// </summary>
    /// <exception cref="SlicingException">The output is the input, lies inside it, or exists without <paramref name="force"/>.</exception>
    /// <exception cref="OutputWriteException">The output cannot be created there, or there is not enough free space.</exception>
    public static void CheckOutput(string sourceModel, string output, bool force, long requiredBytes = 0)
    {
        var source = Path.TrimEndingDirectorySeparator(Path.GetFullPath(sourceModel));
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(output));
        if (target == source)
            throw new SlicingException($"the output {output} is the input model");
        if (Directory.Exists(source) && target.StartsWith(source + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new SlicingException($"the output {output} lies inside the input folder {sourceModel}; choose a folder outside it");
        if (File.Exists(target))
            throw new SlicingException($"the output {output} is an existing file");
        if (Directory.Exists(target) && !force)
            throw new SlicingException($"the output folder {output} already exists; pass --force to replace it");
        OutputLocation.Check(output, requiredBytes);
    }

    /// <summary>
    /// An upper bound of the folder's size: the weights at <paramref name="bytesPerWeight"/> for
    /// <paramref name="parameters"/> (the planned count, or the dense one when widths come from a variance target), the
    /// shortcut matrices included in that count, and a margin for the header, config, tokenizer and report.
    /// </summary>
    public static long EstimateBytes(long parameters, int bytesPerWeight, long otherFiles) =>
        parameters * bytesPerWeight + otherFiles + (1 << 20);

    /// <summary>
    /// Writes the folder. <paramref name="extraFiles"/> (file name → bytes, e.g. the slicing report) are written into it too;
    /// <paramref name="progress"/> hears each file's name once it is written. The folder is assembled under a temporary
    /// name, every file flushed to the disk, and renamed into place at the end.
    /// </summary>
    /// <exception cref="OutputWriteException">A file could not be written; nothing is left at or beside the output, and a
    /// folder that was there (with <paramref name="force"/>) is unchanged.</exception>
    public static void Write<T>(TransformerModel<T> model, SliceMetadata metadata, string sourceModel, string? tokenizerFile,
        string output, TensorDType dtype, bool force, IReadOnlyDictionary<string, byte[]>? extraFiles = null,
        IProgress<string>? progress = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var weights = Weights(model, dtype);
        var config = Encoding.UTF8.GetBytes(ConfigText(model.Config, metadata, sourceModel, dtype));
        var tokenizer = TokenizerSources(sourceModel, tokenizerFile);
        long bytes = weights.ByteLength + config.Length + tokenizer.Sum(t => new FileInfo(t.Source).Length)
            + (extraFiles?.Values.Sum(b => (long)b.Length) ?? 0);
        CheckOutput(sourceModel, output, force, bytes);
        using var folder = StagedFolder.Create(output, bytes);
        folder.WriteFile(SafetensorsCheckpoint.SingleFileName, weights.WriteTo);
        progress?.Report(SafetensorsCheckpoint.SingleFileName);
        folder.WriteFile("config.json", config);
        progress?.Report("config.json");
        foreach (var (source, name) in tokenizer)
        {
            folder.CopyFile(source, name);
            progress?.Report(name);
        }
        foreach (var (name, content) in extraFiles ?? new Dictionary<string, byte[]>())
        {
            folder.WriteFile(name, content);
            progress?.Report(name);
        }
        folder.Commit();
    }

    private static SafetensorsWriter Weights<T>(TransformerModel<T> model, TensorDType dtype)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var writer = new SafetensorsWriter();
        writer.Metadata["slicegpt"] = "sliced";
        foreach (var (name, shape, data) in ArchitectureRegistry.For(model.Config.Family).Export(model))
        {
            if (typeof(T) == typeof(double) && dtype == TensorDType.F64)
                writer.AddFloat64(name, shape, MemoryMarshal.Cast<T, double>(data.AsSpan()));
            else
                writer.AddConverted(name, dtype, shape, typeof(T) == typeof(float)
                    ? MemoryMarshal.Cast<T, float>(data.AsSpan())
                    : data.Select(float.CreateTruncating).ToArray());
        }
        return writer;
    }

    // The original config.json with the head untied, the stored dtype and the slicegpt section; a llama2.c
    // checkpoint gets the equivalent Hugging Face Llama config (its q/k rows were permuted to rotate-half on export).
    internal static string ConfigText(ModelConfig c, SliceMetadata metadata, string sourceModel, TensorDType dtype)
    {
        var original = Path.Combine(sourceModel, "config.json");
        var config = Directory.Exists(sourceModel) && File.Exists(original)
            ? JsonNode.Parse(InputFiles.ReadAllBytes(original))!.AsObject()
            : Llama2cConfig(c);
        config["tie_word_embeddings"] = false;
        config["torch_dtype"] = dtype switch
        {
            TensorDType.F16 => "float16",
            TensorDType.BF16 => "bfloat16",
            TensorDType.F64 => "float64",
            _ => "float32",
        };
        config.Remove(SliceMetadata.Key);
        config[SliceMetadata.Key] = JsonNode.Parse(metadata.ToJson().GetRawText());
        return config.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 2 }) + "\n";
    }

    private static JsonObject Llama2cConfig(ModelConfig c) => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = "llama",
        ["hidden_size"] = c.Dim,
        ["intermediate_size"] = c.HiddenDim,
        ["num_hidden_layers"] = c.NLayers,
        ["num_attention_heads"] = c.NHeads,
        ["num_key_value_heads"] = c.NKvHeads,
        ["head_dim"] = c.HeadDim,
        ["vocab_size"] = c.VocabSize,
        ["max_position_embeddings"] = c.MaxSeqLen,
        ["hidden_act"] = "silu",
        ["rms_norm_eps"] = c.NormEps,
        ["rope_theta"] = c.RopeTheta,
        ["bos_token_id"] = c.BosId,
        ["eos_token_id"] = c.EosId,
    };

    // The tokenizer file given, and the tokenizer files beside the source model (the one given wins a name clash).
    private static List<(string Source, string Name)> TokenizerSources(string sourceModel, string? tokenizerFile)
    {
        var files = new List<(string Source, string Name)>();
        if (tokenizerFile is not null && File.Exists(tokenizerFile))
            files.Add((tokenizerFile, Path.GetFileName(tokenizerFile)));
        if (Directory.Exists(sourceModel))
        {
            foreach (var name in TokenizerFiles)
            {
                var file = Path.Combine(sourceModel, name);
                if (File.Exists(file) && !files.Any(f => f.Name == name))
                    files.Add((file, name));
            }
        }
        return files;
    }
}
