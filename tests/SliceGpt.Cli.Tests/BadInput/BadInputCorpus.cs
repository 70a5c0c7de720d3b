using System.Text;
using System.Text.Json.Nodes;
using SliceGpt.Runtime.IO;

namespace SliceGpt.Cli.Tests.BadInput;

/// <summary>
/// The bad-input corpus: every way the issue lists (and a few more) in which a checkpoint, config, tokenizer, text, option
/// or output location can be wrong. Each case names the file and the field its error line must contain.
/// </summary>
internal static class BadInputCorpus
{
    private const string Embedding = "model.embed_tokens.weight";
    private const string Down0 = "model.layers.0.mlp.down_proj.weight";
    private const string Gate0 = "model.layers.0.mlp.gate_proj.weight";
    private const string Norm0 = "model.layers.0.input_layernorm.weight";

    private static string[] Info(BadInputWorkspace w) => ["info", "--model", w.Model];

    private static string[] Ppl(BadInputWorkspace w) => ["ppl", "--model", w.Model, "--data", w.Text, "--seqlen", "64", "--max-rows", "2"];

    private static string[] Generate(BadInputWorkspace w) => ["generate", "--model", w.Model, "--steps", "4"];

    private static string[] Slice(BadInputWorkspace w, params string[] extra) =>
        ["slice", "--model", w.Model, "--calib", w.Text, "--calib-mode", "first", "--nsamples", "2", "--calib-seqlen", "64", "--out", w.Output, .. extra];

    private static BadInputCase Case(string name, Action<BadInputWorkspace> arrange, Func<BadInputWorkspace, string[]> command,
        Func<BadInputWorkspace, string[]> names) => new(name, arrange, command, names);

    public static IEnumerable<BadInputCase> Cases()
    {
        // ---- safetensors ----
        yield return Case("safetensors truncated to 60%", w => File.WriteAllBytes(w.Weights, File.ReadAllBytes(w.Weights)[..(int)(new FileInfo(w.Weights).Length * 6 / 10)]),
            Info, w => [w.Weights, "data_offsets", "truncated"]);
        yield return Case("safetensors shorter than its length prefix", w => File.WriteAllBytes(w.Weights, [1, 2, 3]),
            Ppl, w => [w.Weights, "header length"]);
        yield return Case("safetensors empty", w => File.WriteAllBytes(w.Weights, []),
            Info, w => [w.Weights, "header length"]);
        yield return Case("header length past the end of the file", w =>
            {
                var (header, data) = w.ReadWeights();
                w.WriteWeights(Encoding.UTF8.GetBytes(header.ToJsonString()), data, declaredLength: (ulong)new FileInfo(w.Weights).Length + 1000);
            }, Info, w => [w.Weights, "header length", "truncated"]);
        yield return Case("header length above the 100 MB limit", w =>
            {
                var (header, data) = w.ReadWeights();
                w.WriteWeights(Encoding.UTF8.GetBytes(header.ToJsonString()), data, declaredLength: 1UL << 40);
            }, Info, w => [w.Weights, "header length"]);
        yield return Case("header not JSON", w =>
            {
                var (header, data) = w.ReadWeights();
                var bytes = Encoding.UTF8.GetBytes(header.ToJsonString());
                bytes[bytes.Length / 2] = (byte)'#';
                w.WriteWeights(bytes, data);
            }, Info, w => [w.Weights, "'header'", "invalid JSON"]);
        yield return Case("header a JSON array", w => w.WriteWeights("[1, 2]"u8.ToArray(), w.ReadWeights().Data),
            Info, w => [w.Weights, "'header'", "Array"]);
        yield return Case("overlapping data offsets", w => w.EditHeader(h =>
            {
                var begin = h[Down0]!["data_offsets"]![0]!.GetValue<long>();
                var end = h[Down0]!["data_offsets"]![1]!.GetValue<long>();
                h[Down0]!["data_offsets"] = new JsonArray(begin - 128, end - 128);
            }), Info, w => [w.Weights, Down0, "data_offsets", "not shared"]);
        yield return Case("data offsets past the data section", w => w.EditHeader(h =>
            {
                var size = h[Down0]!["data_offsets"]![1]!.GetValue<long>() - h[Down0]!["data_offsets"]![0]!.GetValue<long>();
                h[Down0]!["data_offsets"] = new JsonArray(10_000_000, 10_000_000 + size);
            }), Info, w => [w.Weights, Down0, "data_offsets", "within the"]);
        yield return Case("data offsets reversed", w => w.EditHeader(h =>
            {
                var offsets = h[Down0]!["data_offsets"]!.AsArray();
                h[Down0]!["data_offsets"] = new JsonArray(offsets[1]!.GetValue<long>(), offsets[0]!.GetValue<long>());
            }), Info, w => [w.Weights, Down0, "data_offsets", "begin ≤ end"]);
        yield return Case("dtype F16 for F32 bytes", w => w.EditHeader(h => h[Down0]!["dtype"] = "F16"),
            Info, w => [w.Weights, Down0, "data_offsets", "F16"]);
        yield return Case("unknown dtype", w => w.EditHeader(h => h[Down0]!["dtype"] = "F8_E4M3"),
            Info, w => [w.Weights, Down0, "dtype", "F8_E4M3"]);
        yield return Case("integer dtype for a weight", w => w.EditHeader(h => h[Down0]!["dtype"] = "I32"),
            Info, w => [w.Weights, Down0, "dtype", "floating-point"]);
        yield return Case("tensor shape disagrees with config.json", w => w.EditHeader(h => h[Gate0]!["shape"] = new JsonArray(64, 172)),
            Info, w => [w.Weights, Gate0, "shape", "[172, 64] (from config.json)"]);
        yield return Case("tensor missing", w => w.EditHeader(h =>
            {
                var entry = h[Norm0]!.DeepClone();
                h.Remove(Norm0);
                h["model.layers.0.renamed.weight"] = entry;
            }), Generate, w => [w.Model, Norm0, "no such tensor"]);
        yield return Case("NaN weight (info)", w => w.SetWeight(Down0, 64 * 0 + 100, float.NaN),
            Info, w => [w.Weights, Down0, "NaN", "index [0, 100]"]);
        yield return Case("+Infinity weight (ppl)", w => w.SetWeight(Embedding, 64 * 7 + 3, float.PositiveInfinity),
            Ppl, w => [w.Weights, Embedding, "+Infinity", "index [7, 3]"]);
        yield return Case("-Infinity weight in the last layer (slice, before calibrating)", w => w.SetWeight("model.layers.4.self_attn.v_proj.weight", 5, float.NegativeInfinity),
            w => Slice(w), w => [w.Weights, "model.layers.4.self_attn.v_proj.weight", "-Infinity", "index [0, 5]"]);
        // Finite weights so large that layer 2's MLP output overflows float32: the forward pass, not the file, goes non-finite.
        yield return Case("activations overflow in layer 2 (ppl)", OverflowLayer2,
            Ppl, _ => ["non-finite loss", "layer 2, MLP (block output)"]);
        yield return Case("activations overflow in layer 2 (ppl --json)", OverflowLayer2,
            w => [.. Ppl(w), "--json"], _ => ["non-finite loss", "layer 2, MLP (block output)"]);
        yield return Case("activations overflow in layer 2 (generate)", OverflowLayer2,
            Generate, _ => ["non-finite logits", "layer 2, MLP (block output)"]);
        yield return Case("activations overflow in layer 2 (slice --eval: dense perplexity)", OverflowLayer2,
            w => Slice(w, "--eval", w.Text, "--eval-seqlen", "64", "--eval-rows", "1"), _ => ["non-finite loss", "layer 2, MLP (block output)"]);
        yield return Case("activations overflow in layer 2 (slice: calibration covariance)", OverflowLayer2,
            w => Slice(w), _ => ["layer 2 output", "covariance is not finite", "before its eigendecomposition"]);
        yield return Case("no weights file", w => File.Delete(w.Weights),
            Info, w => [w.Model, "model.safetensors or model.safetensors.index.json"]);
        yield return Case("shard index not JSON", w =>
            {
                File.Delete(w.Weights);
                File.WriteAllText(Path.Combine(w.Model, "model.safetensors.index.json"), "{\"weight_map\": {");
            }, Info, w => [Path.Combine(w.Model, "model.safetensors.index.json"), "valid JSON"]);
        yield return Case("shard index names a missing shard", w =>
            {
                File.Move(w.Weights, Path.Combine(w.Model, "model-00001-of-00002.safetensors"));
                File.WriteAllText(Path.Combine(w.Model, "model.safetensors.index.json"),
                    new JsonObject { ["weight_map"] = new JsonObject { [Embedding] = "model-00001-of-00002.safetensors", ["lm_head.weight"] = "model-00002-of-00002.safetensors" } }.ToJsonString());
            }, Info, w => [Path.Combine(w.Model, "model.safetensors.index.json"), "weight_map", "model-00002-of-00002.safetensors"]);

        // ---- config.json ----
        yield return Case("config.json not JSON", w => File.WriteAllText(w.Config, "{\"hidden_size\": 64,"),
            Info, w => [w.Config, "valid JSON"]);
        yield return Case("config.json an array", w => File.WriteAllText(w.Config, "[64]"),
            Info, w => [w.Config, "a JSON object"]);
        yield return Case("config.json missing", w => File.Delete(w.Config),
            Ppl, w => [w.Config, "no such file"]);
        yield return Case("hidden_size missing", w => w.EditConfig(c => c.Remove("hidden_size")),
            Info, w => [w.Config, "hidden_size", "missing"]);
        yield return Case("hidden_size negative", w => w.EditConfig(c => c["hidden_size"] = -64),
            w => ["plan", "--model", w.Model], w => [w.Config, "hidden_size"]);
        yield return Case("num_hidden_layers zero", w => w.EditConfig(c => c["num_hidden_layers"] = 0),
            Info, w => [w.Config, "num_hidden_layers", "positive"]);
        yield return Case("vocab_size negative", w => w.EditConfig(c => c["vocab_size"] = -512),
            Ppl, w => [w.Config, "vocab_size", "positive"]);
        yield return Case("hidden_size a string", w => w.EditConfig(c => c["hidden_size"] = "64"),
            Info, w => [w.Config, "hidden_size", "an integer"]);
        // 512 × 2^20 floats would be 2 GiB: the tensor's shape is compared with the config before anything is allocated.
        yield return Case("hidden_size large but plausible (no gigabyte allocation)", w => w.EditConfig(c => { c["hidden_size"] = 1 << 20; c["head_dim"] = 1 << 16; c["num_attention_heads"] = 16; c["num_key_value_heads"] = 16; }),
            Info, w => [w.Weights, Embedding, "shape", "[512, 1048576] (from config.json)"]);
        yield return Case("hidden_size implausible", w => w.EditConfig(c => c["hidden_size"] = 1 << 28),
            Info, w => [w.Config, "hidden_size", "at most 1048576"]);
        yield return Case("unknown architecture", w => w.EditConfig(c => { c["architectures"] = new JsonArray("BertForMaskedLM"); c["model_type"] = "bert"; }),
            w => Slice(w), w => [w.Config, "BertForMaskedLM", "supported"]);
        yield return Case("architectures not a list", w => w.EditConfig(c => c["architectures"] = 7),
            Info, w => [w.Config, "architectures"]);
        yield return Case("num_attention_heads not dividing hidden_size", w => w.EditConfig(c => { c["num_attention_heads"] = 7; c["num_key_value_heads"] = 7; c.Remove("head_dim"); }),
            w => ["plan", "--model", w.Model], w => [w.Config, "num_attention_heads"]);
        yield return Case("num_key_value_heads not dividing num_attention_heads", w => w.EditConfig(c => c["num_key_value_heads"] = 3),
            Info, w => [w.Config, "num_key_value_heads"]);
        yield return Case("torch_dtype unknown", w => w.EditConfig(c => c["torch_dtype"] = "float8"),
            Info, w => [w.Config, "torch_dtype", "float8"]);

        // ---- tokenizers ----
        yield return Case("tokenizer.json not JSON", w => File.WriteAllText(w["tokenizer.json"], "{\"model\": {\"type\": \"BPE\""),
            w => [.. Ppl(w), "--tokenizer", w["tokenizer.json"]], w => [w["tokenizer.json"], "not valid JSON"]);
        yield return Case("tokenizer.json without a model or vocabulary", w => File.WriteAllText(w["tokenizer.json"], "{\"version\": \"1.0\"}"),
            w => [.. Generate(w), "--tokenizer", w["tokenizer.json"]], w => [w["tokenizer.json"], "\"model\""]);
        yield return Case("tokenizer.json vocabulary not an object", w => File.WriteAllText(w["tokenizer.json"], "{\"model\": {\"type\": \"BPE\", \"vocab\": [1, 2], \"merges\": []}}"),
            w => [.. Ppl(w), "--tokenizer", w["tokenizer.json"]], w => [w["tokenizer.json"], "vocab"]);
        yield return Case("tokenizer.json of another model (vocabulary too large)", w => File.Copy(CliRunner.Shared("tokenizers", "llama2", "tokenizer.json"), w["tokenizer.json"]),
            w => [.. Ppl(w), "--tokenizer", w["tokenizer.json"]], w => [w["tokenizer.json"], "vocabulary", "32000", "512"]);
        yield return Case("llama2.c tokenizer truncated", w => File.WriteAllBytes(w.Tokenizer, File.ReadAllBytes(w.Tokenizer)[..1000]),
            Generate, w => [w.Tokenizer, "truncated"]);
        yield return Case("llama2.c tokenizer with an absurd max_token_length", w =>
            {
                var bytes = File.ReadAllBytes(w.Tokenizer);
                BitConverter.GetBytes(-5).CopyTo(bytes, 0);
                File.WriteAllBytes(w.Tokenizer, bytes);
            }, Ppl, w => [w.Tokenizer, "max_token_length"]);
        yield return Case("--tokenizer names no file", _ => { },
            w => [.. Ppl(w), "--tokenizer", w["missing-tokenizer.json"]], w => [w["missing-tokenizer.json"], "no such tokenizer file"]);

        // ---- texts ----
        yield return Case("calibration text in Latin-1", w => File.WriteAllBytes(w.Text, [.. "Once upon a time, a caf"u8, 0xE9, .. " opened.\n"u8]),
            w => Slice(w), w => [w.Text, "byte offset 23", "0xE9", "UTF-8"]);
        yield return Case("evaluation data binary", w => File.WriteAllBytes(w.Text, [0x00, 0x01, 0xFF, 0xFE, 0x80, 0x81]),
            Ppl, w => [w.Text, "byte offset 2", "0xFF", "UTF-8"]);
        yield return Case("text ending inside a multi-byte character", w => File.WriteAllBytes(w.Text, [.. File.ReadAllBytes(w.Text), 0xE2, 0x82]),
            Ppl, w => [w.Text, $"byte offset {new FileInfo(w.Text).Length - 2}", "UTF-8"]);
        yield return Case("calibration text empty", w => File.WriteAllBytes(w.Text, []),
            w => Slice(w), w => [w.Text, "empty"]);
        yield return Case("evaluation text only white space", w => File.WriteAllText(w["eval.txt"], " \n\n\t\n"),
            w => Slice(w, "--eval", w["eval.txt"], "--eval-seqlen", "64"), w => [w["eval.txt"], "white space"]);
        yield return Case("calibration text shorter than one row", w => File.WriteAllText(w.Text, "Once upon a time."),
            w => Slice(w), w => [w.Text, "fewer than one row"]);
        yield return Case("evaluation data shorter than one row", w => File.WriteAllText(w.Text, "Once upon a time."),
            Ppl, w => [w.Text, "fewer than one row of --seqlen 64"]);
        yield return Case("calibration file missing", _ => { },
            w => [.. Slice(w).Select(a => a == w.Text ? w["missing.txt"] : a)], w => [w["missing.txt"], "no such file"]);
        yield return Case("calibration path a folder", w => Directory.CreateDirectory(w["folder.txt"]),
            w => [.. Slice(w).Select(a => a == w.Text ? w["folder.txt"] : a)], w => [w["folder.txt"], "is a folder"]);

        // ---- options and paths ----
        yield return Case("model path does not exist", _ => { },
            w => [.. Ppl(w).Select(a => a == w.Model ? w["no-model"] : a)], w => [$"model not found: {w["no-model"]}"]);
        yield return Case("sparsity 1", _ => { }, w => Slice(w, "--sparsity", "1"), _ => ["--sparsity", "[0, 1)"]);
        yield return Case("sparsity negative", _ => { }, w => Slice(w, "--sparsity", "-0.1"), _ => ["--sparsity", "[0, 1)"]);
        yield return Case("sparsity NaN", _ => { }, w => ["plan", "--model", w.Model, "--sparsity", "NaN"], _ => ["--sparsity", "[0, 1)"]);

        // ---- outputs ----
        yield return Case("output folder not writable", w => UnwritableFolder(w),
            w => [.. Slice(w).Select(a => a == w.Output ? UnwritableOutput(w) : a)], w => [UnwritableOutput(w), UnwritableReason]);
        yield return Case("output under a regular file", w => File.WriteAllText(w["a-file"], "x"),
            w => [.. Slice(w).Select(a => a == w.Output ? Path.Combine(w["a-file"], "out") : a)], w => [Path.Combine(w["a-file"], "out"), "is a file, not a folder"]);
        yield return Case("not enough free space for the estimated output", _ => OutputFiles.FreeBytes = _ => 4096,
            w => Slice(w), w => [w.Output, "not enough free space", "4096 bytes"]);
        yield return Case("disk full while writing model.safetensors", _ => OutputFiles.Create = path => new FailingStream(path, 100_000),
            w => Slice(w), w => [Path.Combine(w.Output, "model.safetensors"), "No space left on device"]);
        yield return Case("disk full while replacing an existing output (--force)", w =>
            {
                Directory.CreateDirectory(w.Output);
                File.WriteAllText(Path.Combine(w.Output, "model.safetensors"), "the previous output");
                OutputFiles.Create = path => path.EndsWith("config.json", StringComparison.Ordinal) ? new FailingStream(path, 10) : new FileStream(path, FileMode.CreateNew);
            }, w => Slice(w, "--force"), w => [Path.Combine(w.Output, "config.json"), "No space left on device"]);
    }

    private static void OverflowLayer2(BadInputWorkspace w) =>
        w.SetWeights("model.layers.2.mlp.down_proj.weight", (i, _) => i % 2 == 0 ? 3e38f : -3e38f);

    // Root may write anywhere a permission bit would forbid, so as root the unwritable place is /sys (EPERM for everyone).
    private static bool IsRoot => Environment.UserName == "root";

    private static string UnwritableReason => IsRoot ? "Operation not permitted" : "Permission denied";

    private static string UnwritableOutput(BadInputWorkspace w) => IsRoot ? "/sys/slicegpt-badinput-out" : Path.Combine(w["read-only"], "out");

    private static void UnwritableFolder(BadInputWorkspace w)
    {
        if (IsRoot || OperatingSystem.IsWindows())
            return;
        Directory.CreateDirectory(w["read-only"]);
        File.SetUnixFileMode(w["read-only"], UnixFileMode.UserRead | UnixFileMode.UserExecute);
    }
}
