using System.Text.Json;
using SliceGpt.Runtime.Checkpoints;

namespace SliceGpt.Runtime.Tests.Support;

/// <summary>The shape of a tiny synthetic model; enough to write a config.json of any supported family.</summary>
internal sealed record SyntheticSpec(
    string Family, int Dim = 16, int Hidden = 24, int Layers = 2, int Heads = 4, int KvHeads = 2, int Vocab = 40,
    int MaxPos = 32, double PartialRotary = 0.5, bool Tied = false, double Theta = 10000.0);

/// <summary>
/// Writes random-weight checkpoints (config.json + model.safetensors) in each family's Hugging Face layout,
/// keeping the float64 values so an independent reference can run the same model.
/// </summary>
internal static class SyntheticCheckpoint
{
    public static NamedTensors Write(string folder, SyntheticSpec s, int seed = 1)
    {
        Directory.CreateDirectory(folder);
        var rng = new Random(seed);
        var t = new NamedTensors();
        void Add(string name, double scale, params long[] shape)
        {
            var n = (int)shape.Aggregate(1L, (a, b) => a * b);
            // Values are rounded to float32 so the float64 reference sees exactly what the checkpoint stores.
            t[name] = (shape, Enumerable.Range(0, n).Select(_ => (double)(float)((rng.NextDouble() * 2 - 1) * scale)).ToArray());
        }
        void Norm(string name, bool bias)
        {
            Add(name + ".weight", 0.3, s.Dim);
            for (int i = 0; i < s.Dim; i++)
                t[name + ".weight"].Data[i] = (float)(t[name + ".weight"].Data[i] + 1); // γ around 1, as trained norms are; kept float32-exact
            if (bias)
                Add(name + ".bias", 0.2, s.Dim);
        }
        int headDim = s.Dim / s.Heads, kv = s.KvHeads * headDim;
        double w = 0.4;
        switch (s.Family)
        {
            case "llama":
                Add("model.embed_tokens.weight", 1, s.Vocab, s.Dim);
                for (int l = 0; l < s.Layers; l++)
                {
                    var p = $"model.layers.{l}.";
                    Norm(p + "input_layernorm", false);
                    Add(p + "self_attn.q_proj.weight", w, s.Dim, s.Dim);
                    Add(p + "self_attn.k_proj.weight", w, kv, s.Dim);
                    Add(p + "self_attn.v_proj.weight", w, kv, s.Dim);
                    Add(p + "self_attn.o_proj.weight", w, s.Dim, s.Dim);
                    Norm(p + "post_attention_layernorm", false);
                    Add(p + "mlp.gate_proj.weight", w, s.Hidden, s.Dim);
                    Add(p + "mlp.up_proj.weight", w, s.Hidden, s.Dim);
                    Add(p + "mlp.down_proj.weight", w, s.Dim, s.Hidden);
                }
                Norm("model.norm", false);
                if (!s.Tied)
                    Add("lm_head.weight", w, s.Vocab, s.Dim);
                break;
            case "phi3":
                Add("model.embed_tokens.weight", 1, s.Vocab, s.Dim);
                for (int l = 0; l < s.Layers; l++)
                {
                    var p = $"model.layers.{l}.";
                    Norm(p + "input_layernorm", false);
                    Add(p + "self_attn.qkv_proj.weight", w, s.Dim + 2 * kv, s.Dim);
                    Add(p + "self_attn.o_proj.weight", w, s.Dim, s.Dim);
                    Norm(p + "post_attention_layernorm", false);
                    Add(p + "mlp.gate_up_proj.weight", w, 2 * s.Hidden, s.Dim);
                    Add(p + "mlp.down_proj.weight", w, s.Dim, s.Hidden);
                }
                Norm("model.norm", false);
                Add("lm_head.weight", w, s.Vocab, s.Dim);
                break;
            case "opt":
                Add("model.decoder.embed_tokens.weight", 1, s.Vocab, s.Dim);
                Add("model.decoder.embed_positions.weight", 1, s.MaxPos + 2, s.Dim);
                for (int l = 0; l < s.Layers; l++)
                {
                    var p = $"model.decoder.layers.{l}.";
                    Norm(p + "self_attn_layer_norm", true);
                    foreach (var proj in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
                    {
                        Add(p + $"self_attn.{proj}.weight", w, s.Dim, s.Dim);
                        Add(p + $"self_attn.{proj}.bias", 0.2, s.Dim);
                    }
                    Norm(p + "final_layer_norm", true);
                    Add(p + "fc1.weight", w, s.Hidden, s.Dim);
                    Add(p + "fc1.bias", 0.2, s.Hidden);
                    Add(p + "fc2.weight", w, s.Dim, s.Hidden);
                    Add(p + "fc2.bias", 0.2, s.Dim);
                }
                Norm("model.decoder.final_layer_norm", true);
                break;
            case "phi":
                Add("model.embed_tokens.weight", 1, s.Vocab, s.Dim);
                for (int l = 0; l < s.Layers; l++)
                {
                    var p = $"model.layers.{l}.";
                    Norm(p + "input_layernorm", true);
                    foreach (var (proj, rows) in new[] { ("q_proj", s.Dim), ("k_proj", kv), ("v_proj", kv) })
                    {
                        Add(p + $"self_attn.{proj}.weight", w, rows, s.Dim);
                        Add(p + $"self_attn.{proj}.bias", 0.2, rows);
                    }
                    Add(p + "self_attn.dense.weight", w, s.Dim, s.Dim);
                    Add(p + "self_attn.dense.bias", 0.2, s.Dim);
                    Add(p + "mlp.fc1.weight", w, s.Hidden, s.Dim);
                    Add(p + "mlp.fc1.bias", 0.2, s.Hidden);
                    Add(p + "mlp.fc2.weight", w, s.Dim, s.Hidden);
                    Add(p + "mlp.fc2.bias", 0.2, s.Dim);
                }
                Norm("model.final_layernorm", true);
                Add("lm_head.weight", w, s.Vocab, s.Dim);
                Add("lm_head.bias", 0.2, s.Vocab);
                break;
            default:
                throw new ArgumentException(s.Family);
        }
        var writer = new SafetensorsWriter();
        foreach (var (name, (shape, data)) in t)
            writer.AddFloat32(name, shape, data.Select(v => (float)v).ToArray());
        writer.Write(Path.Combine(folder, "model.safetensors"));
        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(Config(s)));
        return t;
    }

    public static Dictionary<string, object?> Config(SyntheticSpec s) => s.Family switch
    {
        "llama" => new()
        {
            ["architectures"] = new[] { "LlamaForCausalLM" }, ["model_type"] = "llama", ["hidden_size"] = s.Dim,
            ["intermediate_size"] = s.Hidden, ["num_hidden_layers"] = s.Layers, ["num_attention_heads"] = s.Heads,
            ["num_key_value_heads"] = s.KvHeads, ["vocab_size"] = s.Vocab, ["max_position_embeddings"] = s.MaxPos,
            ["rms_norm_eps"] = 1e-5, ["rope_theta"] = s.Theta, ["hidden_act"] = "silu", ["tie_word_embeddings"] = s.Tied,
            ["torch_dtype"] = "float32",
        },
        "phi3" => new()
        {
            ["architectures"] = new[] { "Phi3ForCausalLM" }, ["model_type"] = "phi3", ["hidden_size"] = s.Dim,
            ["intermediate_size"] = s.Hidden, ["num_hidden_layers"] = s.Layers, ["num_attention_heads"] = s.Heads,
            ["num_key_value_heads"] = s.KvHeads, ["vocab_size"] = s.Vocab, ["max_position_embeddings"] = s.MaxPos,
            ["rms_norm_eps"] = 1e-5, ["rope_theta"] = s.Theta, ["hidden_act"] = "silu", ["rope_scaling"] = null,
            ["tie_word_embeddings"] = false,
        },
        "opt" => new()
        {
            ["architectures"] = new[] { "OPTForCausalLM" }, ["model_type"] = "opt", ["hidden_size"] = s.Dim,
            ["ffn_dim"] = s.Hidden, ["num_hidden_layers"] = s.Layers, ["num_attention_heads"] = s.Heads,
            ["vocab_size"] = s.Vocab, ["max_position_embeddings"] = s.MaxPos, ["word_embed_proj_dim"] = s.Dim,
            ["do_layer_norm_before"] = true, ["activation_function"] = "relu", ["enable_bias"] = true,
            ["tie_word_embeddings"] = true,
        },
        "phi" => new()
        {
            ["architectures"] = new[] { "PhiForCausalLM" }, ["model_type"] = "phi", ["hidden_size"] = s.Dim,
            ["intermediate_size"] = s.Hidden, ["num_hidden_layers"] = s.Layers, ["num_attention_heads"] = s.Heads,
            ["num_key_value_heads"] = s.KvHeads, ["vocab_size"] = s.Vocab, ["max_position_embeddings"] = s.MaxPos,
            ["layer_norm_eps"] = 1e-5, ["rope_theta"] = s.Theta, ["partial_rotary_factor"] = s.PartialRotary,
            ["hidden_act"] = "gelu_new", ["qk_layernorm"] = false, ["tie_word_embeddings"] = false,
        },
        _ => throw new ArgumentException(s.Family),
    };
}
