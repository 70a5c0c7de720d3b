using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

/// <summary>
/// Phi-2: parallel blocks (one input_layernorm feeds both attention and MLP), LayerNorm with bias,
/// partial rotary (rotate-half on the first partial_rotary_factor·head_dim dims), gelu_new, biases, a
/// final LayerNorm and a separate head with bias.
/// </summary>
public sealed class PhiAdapter() : ArchitectureAdapter(ArchitectureFamily.Phi, ["PhiForCausalLM"], ["phi"], NormKind.LayerNorm, BlockKind.Parallel)
{
    /// <inheritdoc/>
    public override ModelConfig ReadConfig(ConfigJson json)
    {
        if (json.Bool("qk_layernorm", false))
            throw json.Unsupported("qk_layernorm", "false", "true");
        var act = json.String("hidden_act") ?? "gelu_new";
        if (act != "gelu_new")
            throw json.Unsupported("hidden_act", "\"gelu_new\"", act);
        if (json.Has("rope_scaling"))
            throw json.Unsupported("rope_scaling", "null", json.Get("rope_scaling")!.Value.GetRawText());
        int dim = json.Int("hidden_size");
        int heads = json.Int("num_attention_heads");
        int headDim = HeadDimOf(json, dim, heads, explicitAllowed: false);
        double factor = json.Double("partial_rotary_factor", 0.5);
        return new ModelConfig
        {
            Family = Family,
            ArchitectureName = "PhiForCausalLM",
            Dim = dim,
            HiddenDim = json.Int("intermediate_size"),
            NLayers = json.Int("num_hidden_layers"),
            NHeads = heads,
            NKvHeads = json.Int("num_key_value_heads", null) ?? heads,
            HeadDim = headDim,
            VocabSize = json.Int("vocab_size"),
            MaxSeqLen = json.Int("max_position_embeddings", null) ?? 2048,
            NormEps = json.Double("layer_norm_eps", 1e-5),
            Norm = NormKind.LayerNorm,
            Block = BlockKind.Parallel,
            Activation = MlpActivation.GeluNew,
            Rope = RopeLayout.RotateHalf,
            RopeTheta = json.Double("rope_theta", 10000.0),
            RotaryDim = (int)(headDim * factor), // Hugging Face truncates the same way.
            TiedEmbeddings = json.Bool("tie_word_embeddings", false),
            AttentionBias = true,
            MlpBias = true,
            HeadBias = true,
            BosId = json.Int("bos_token_id", null),
            EosId = EosId(json),
            StorageDType = json.StorageDType(),
        };
    }

    /// <inheritdoc/>
    public override LayerTensorNames LayerNames(ITensorSource? source, int layer)
    {
        var p = $"model.layers.{layer}.";
        return new LayerTensorNames
        {
            Prefix = p,
            AttentionNormWeight = p + "input_layernorm.weight",
            AttentionNormBias = p + "input_layernorm.bias",
            Q = p + "self_attn.q_proj.weight",
            K = p + "self_attn.k_proj.weight",
            V = p + "self_attn.v_proj.weight",
            QBias = p + "self_attn.q_proj.bias",
            KBias = p + "self_attn.k_proj.bias",
            VBias = p + "self_attn.v_proj.bias",
            AttentionOut = p + "self_attn.dense.weight",
            AttentionOutBias = p + "self_attn.dense.bias",
            Up = p + "mlp.fc1.weight",
            UpBias = p + "mlp.fc1.bias",
            Down = p + "mlp.fc2.weight",
            DownBias = p + "mlp.fc2.bias",
        };
    }

    /// <inheritdoc/>
    public override ModelTensorNames ModelNames(ITensorSource? source) => new()
    {
        Embedding = "model.embed_tokens.weight",
        FinalNormWeight = "model.final_layernorm.weight",
        FinalNormBias = "model.final_layernorm.bias",
        HeadWeight = "lm_head.weight",
        HeadBias = "lm_head.bias",
    };
}
