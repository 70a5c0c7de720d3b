using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

/// <summary>
/// Llama 2/3 and Mistral (Hugging Face) and llama2.c checkpoints: sequential blocks, RMSNorm
/// (input_layernorm before attention, post_attention_layernorm before the MLP), SwiGLU, RoPE, GQA.
/// </summary>
public sealed class LlamaAdapter() : ArchitectureAdapter(ArchitectureFamily.Llama, ["LlamaForCausalLM", "MistralForCausalLM"], ["llama", "mistral"], NormKind.RmsNorm, BlockKind.Sequential)
{
    /// <inheritdoc/>
    public override ModelConfig ReadConfig(ConfigJson json)
    {
        var act = json.String("hidden_act") ?? "silu";
        if (act != "silu")
            throw json.Unsupported("hidden_act", "\"silu\"", act);
        int dim = json.Int("hidden_size");
        int heads = json.Int("num_attention_heads");
        int headDim = HeadDimOf(json, dim, heads, explicitAllowed: true);
        return new ModelConfig
        {
            Family = Family,
            ArchitectureName = ArchitectureNameOf(json),
            Dim = dim,
            HiddenDim = json.Int("intermediate_size"),
            NLayers = json.Int("num_hidden_layers"),
            NHeads = heads,
            NKvHeads = json.Int("num_key_value_heads", null) ?? heads,
            HeadDim = headDim,
            VocabSize = json.Int("vocab_size"),
            MaxSeqLen = json.Int("max_position_embeddings", null) ?? 2048,
            NormEps = json.Double("rms_norm_eps", 1e-6),
            Norm = NormKind.RmsNorm,
            Block = BlockKind.Sequential,
            Activation = MlpActivation.SiluGated,
            Rope = RopeLayout.RotateHalf,
            RopeTheta = json.Double("rope_theta", 10000.0),
            RotaryDim = headDim,
            RopeScaling = RopeScalingReader.Read(json),
            SlidingWindow = json.Int("sliding_window", null),
            TiedEmbeddings = json.Bool("tie_word_embeddings", false),
            AttentionBias = json.Bool("attention_bias", false),
            MlpBias = json.Bool("mlp_bias", false),
            BosId = json.Int("bos_token_id", null),
            EosId = EosId(json),
            StorageDType = json.StorageDType(),
        };
    }

    /// <summary>The config of a llama2.c checkpoint, from its header (interleaved RoPE, eps 1e-5, theta 10000).</summary>
    public static ModelConfig ConfigFromLlama2c(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads,
        int vocabSize, int seqLen, bool sharedClassifier) => new()
    {
        Family = ArchitectureFamily.Llama,
        ArchitectureName = "llama2.c",
        Dim = dim,
        HiddenDim = hiddenDim,
        NLayers = nLayers,
        NHeads = nHeads,
        NKvHeads = nKvHeads,
        HeadDim = dim / nHeads,
        VocabSize = vocabSize,
        MaxSeqLen = seqLen,
        NormEps = 1e-5,
        Norm = NormKind.RmsNorm,
        Block = BlockKind.Sequential,
        Activation = MlpActivation.SiluGated,
        Rope = RopeLayout.Interleaved,
        RopeTheta = 10000.0,
        RotaryDim = dim / nHeads,
        TiedEmbeddings = sharedClassifier,
        BosId = 1,
        EosId = 2,
    };

    /// <inheritdoc/>
    public override LayerTensorNames LayerNames(ITensorSource? source, int layer)
    {
        var p = $"model.layers.{layer}.";
        return new LayerTensorNames
        {
            Prefix = p,
            AttentionNormWeight = p + "input_layernorm.weight",
            Q = p + "self_attn.q_proj.weight",
            K = p + "self_attn.k_proj.weight",
            V = p + "self_attn.v_proj.weight",
            QBias = p + "self_attn.q_proj.bias",
            KBias = p + "self_attn.k_proj.bias",
            VBias = p + "self_attn.v_proj.bias",
            AttentionOut = p + "self_attn.o_proj.weight",
            AttentionOutBias = p + "self_attn.o_proj.bias",
            MlpNormWeight = p + "post_attention_layernorm.weight",
            Gate = p + "mlp.gate_proj.weight",
            GateBias = p + "mlp.gate_proj.bias",
            Up = p + "mlp.up_proj.weight",
            UpBias = p + "mlp.up_proj.bias",
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

    private string ArchitectureNameOf(ConfigJson json) =>
        ArchitectureRegistry.DeclaredArchitecture(json) ?? "LlamaForCausalLM";
}
