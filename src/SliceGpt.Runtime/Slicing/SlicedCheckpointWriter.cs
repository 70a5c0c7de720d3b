using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using SliceGpt.Runtime.Architectures;
using SliceGpt.Runtime.Checkpoints;
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

    /// <summary>Checks that <paramref name="output"/> may be written for <paramref name="sourceModel"/> before any work is done.</summary>
    /// <exception cref="SlicingException">The output is the input, lies inside it, or exists without <paramref name="force"/>.</exception>
    public static void CheckOutput(string sourceModel, string output, bool force)
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
    }

    /// <summary>
    /// Writes the folder. <paramref name="extraFiles"/> (file name → bytes, e.g. the slicing report) are written into it too.
    /// </summary>
    public static void Write<T>(TransformerModel<T> model, SliceMetadata metadata, string sourceModel, string? tokenizerFile,
        string output, TensorDType dtype, bool force, IReadOnlyDictionary<string, byte[]>? extraFiles = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckOutput(sourceModel, output, force);
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(output));
        var staging = $"{target}.partial-{Environment.ProcessId}";
        if (Directory.Exists(staging))
            Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            WriteWeights(model, dtype, Path.Combine(staging, SafetensorsCheckpoint.SingleFileName));
            File.WriteAllText(Path.Combine(staging, "config.json"), ConfigText(model.Config, metadata, sourceModel, dtype));
            CopyTokenizer(sourceModel, tokenizerFile, staging);
            foreach (var (name, bytes) in extraFiles ?? new Dictionary<string, byte[]>())
                File.WriteAllBytes(Path.Combine(staging, name), bytes);
            Publish(staging, target);
        }
        catch
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    private static void WriteWeights<T>(TransformerModel<T> model, TensorDType dtype, string path)
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
        writer.Write(path);
    }

    // The original config.json with the head untied, the stored dtype and the slicegpt section; a llama2.c
    // checkpoint gets the equivalent Hugging Face Llama config (its q/k rows were permuted to rotate-half on export).
    internal static string ConfigText(ModelConfig c, SliceMetadata metadata, string sourceModel, TensorDType dtype)
    {
        var original = Path.Combine(sourceModel, "config.json");
        var config = Directory.Exists(sourceModel) && File.Exists(original)
            ? JsonNode.Parse(File.ReadAllText(original))!.AsObject()
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

    private static void CopyTokenizer(string sourceModel, string? tokenizerFile, string staging)
    {
        if (tokenizerFile is not null && File.Exists(tokenizerFile))
            File.Copy(tokenizerFile, Path.Combine(staging, Path.GetFileName(tokenizerFile)), overwrite: true);
        if (!Directory.Exists(sourceModel))
            return;
        foreach (var name in TokenizerFiles)
        {
            var file = Path.Combine(sourceModel, name);
            if (File.Exists(file))
                File.Copy(file, Path.Combine(staging, name), overwrite: true);
        }
    }

    // The complete folder replaces the target in two renames; a previous output is removed only after that.
    private static void Publish(string staging, string target)
    {
        string? previous = null;
        if (Directory.Exists(target))
        {
            previous = $"{target}.previous-{Environment.ProcessId}";
            Directory.Move(target, previous);
        }
        Directory.Move(staging, target);
        if (previous is not null)
            Directory.Delete(previous, recursive: true);
    }
}
