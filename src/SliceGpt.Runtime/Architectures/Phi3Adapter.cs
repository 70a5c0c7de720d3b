using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

/// <summary>
/// Phi-3: Llama-like sequential RMSNorm blocks whose q, k, v are stored fused as qkv_proj and whose gate
/// and up are stored fused as gate_up_proj (gate first). Long-context RoPE scaling (longrope) is refused.
/// </summary>
public sealed class Phi3Adapter() : ArchitectureAdapter(ArchitectureFamily.Phi3, ["Phi3ForCausalLM"], ["phi3"], NormKind.RmsNorm, BlockKind.Sequential)
{
    /// <inheritdoc/>
    public override ModelConfig ReadConfig(ConfigJson json)
    {
        if (json.Has("rope_scaling"))
            throw json.Unsupported("rope_scaling", "null (longrope/su scaling is not supported)", json.Get("rope_scaling")!.Value.GetRawText());
        var act = json.String("hidden_act") ?? "silu";
        if (act != "silu")
            throw json.Unsupported("hidden_act", "\"silu\"", act);
        int dim = json.Int("hidden_size");
        int heads = json.Int("num_attention_heads");
        int headDim = HeadDimOf(json, dim, heads, explicitAllowed: true);
        return new ModelConfig
        {
            Family = Family,
            ArchitectureName = "Phi3ForCausalLM",
            Dim = dim,
            HiddenDim = json.Int("intermediate_size"),
            NLayers = json.Int("num_hidden_layers"),
            NHeads = heads,
            NKvHeads = json.Int("num_key_value_heads", null) ?? heads,
            HeadDim = headDim,
            VocabSize = json.Int("vocab_size"),
            MaxSeqLen = json.Int("max_position_embeddings", null) ?? 4096,
            NormEps = json.Double("rms_norm_eps", 1e-5),
            Norm = NormKind.RmsNorm,
            Block = BlockKind.Sequential,
            Activation = MlpActivation.SiluGated,
            Rope = RopeLayout.RotateHalf,
            RopeTheta = json.Double("rope_theta", 10000.0),
            RotaryDim = (int)(headDim * json.Double("partial_rotary_factor", 1.0)),
            SlidingWindow = json.Int("sliding_window", null),
            TiedEmbeddings = json.Bool("tie_word_embeddings", false),
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
            FusedQkv = p + "self_attn.qkv_proj.weight",
            FusedQkvBias = p + "self_attn.qkv_proj.bias",
            AttentionOut = p + "self_attn.o_proj.weight",
            AttentionOutBias = p + "self_attn.o_proj.bias",
            MlpNormWeight = p + "post_attention_layernorm.weight",
            FusedGateUp = p + "mlp.gate_up_proj.weight",
            Up = p + "mlp.gate_up_proj.weight",
            UpBias = p + "mlp.gate_up_proj.bias",
            Down = p + "mlp.down_proj.weight",
            DownBias = p + "mlp.down_proj.bias",
        };
    }

    /// <inheritdoc/>
    public override ModelTensorNames ModelNames(ITensorSource? source) => new()
    {
        Embedding = "model.embed_tokens.weight",
        FinalNormWeight = "model.norm.weight",
        HeadWeight = "lm_head.weight",
    };
}
