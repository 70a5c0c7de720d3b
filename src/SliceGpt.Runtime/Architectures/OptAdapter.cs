using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Architectures;

/// <summary>
/// OPT: sequential pre-LayerNorm blocks (self_attn_layer_norm, final_layer_norm), ReLU MLP (fc1, fc2),
/// biases everywhere, learned positions with offset 2, a final LayerNorm and a tied head.
/// OPT-350m's project_in/project_out (word_embed_proj_dim ≠ hidden_size) and post-LN are refused.
/// </summary>
public sealed class OptAdapter() : ArchitectureAdapter(ArchitectureFamily.Opt, ["OPTForCausalLM"], ["opt"], NormKind.LayerNorm, BlockKind.Sequential)
{
    private const int PositionOffset = 2;

    /// <inheritdoc/>
    public override ModelConfig ReadConfig(ConfigJson json)
    {
        int dim = json.Int("hidden_size");
        int proj = json.Int("word_embed_proj_dim", null) ?? dim;
        if (proj != dim)
            throw json.Unsupported("word_embed_proj_dim",
                $"equal to hidden_size ({dim}); project_in/project_out (as in OPT-350m) are not supported", proj.ToString());
        if (!json.Bool("do_layer_norm_before", true))
            throw json.Unsupported("do_layer_norm_before", "true (post-LayerNorm OPT variants are not supported)", "false");
        if (json.Bool("_remove_final_layer_norm", false))
            throw json.Unsupported("_remove_final_layer_norm", "false", "true");
        if (!json.Bool("layer_norm_elementwise_affine", true))
            throw json.Unsupported("layer_norm_elementwise_affine", "true", "false");
        if (!json.Bool("enable_bias", true))
            throw json.Unsupported("enable_bias", "true", "false");
        var act = json.String("activation_function") ?? "relu";
        if (act != "relu")
            throw json.Unsupported("activation_function", "\"relu\"", act);
        int heads = json.Int("num_attention_heads");
        return new ModelConfig
        {
            Family = Family,
            ArchitectureName = "OPTForCausalLM",
            Dim = dim,
            HiddenDim = json.Int("ffn_dim"),
            NLayers = json.Int("num_hidden_layers"),
            NHeads = heads,
            NKvHeads = heads,
            HeadDim = HeadDimOf(json, dim, heads, explicitAllowed: false),
            VocabSize = json.Int("vocab_size"),
            MaxSeqLen = json.Int("max_position_embeddings", null) ?? 2048,
            NormEps = 1e-5, // OPT's LayerNorms use PyTorch's default; the config has no eps field.
            Norm = NormKind.LayerNorm,
            Block = BlockKind.Sequential,
            Activation = MlpActivation.Relu,
            Rope = RopeLayout.None,
            LearnedPositionOffset = PositionOffset,
            TiedEmbeddings = json.Bool("tie_word_embeddings", true),
            AttentionBias = true,
            MlpBias = true,
            BosId = json.Int("bos_token_id", null),
            EosId = EosId(json),
            StorageDType = json.StorageDType(),
        };
    }

    /// <inheritdoc/>
    public override LayerTensorNames LayerNames(ITensorSource? source, int layer)
    {
        var p = $"{Prefix(source)}decoder.layers.{layer}.";
        return new LayerTensorNames
        {
            Prefix = p,
            AttentionNormWeight = p + "self_attn_layer_norm.weight",
            AttentionNormBias = p + "self_attn_layer_norm.bias",
            Q = p + "self_attn.q_proj.weight",
            K = p + "self_attn.k_proj.weight",
            V = p + "self_attn.v_proj.weight",
            QBias = p + "self_attn.q_proj.bias",
            KBias = p + "self_attn.k_proj.bias",
            VBias = p + "self_attn.v_proj.bias",
            AttentionOut = p + "self_attn.out_proj.weight",
            AttentionOutBias = p + "self_attn.out_proj.bias",
            MlpNormWeight = p + "final_layer_norm.weight",
            MlpNormBias = p + "final_layer_norm.bias",
            Up = p + "fc1.weight",
            UpBias = p + "fc1.bias",
            Down = p + "fc2.weight",
            DownBias = p + "fc2.bias",
        };
    }

    /// <inheritdoc/>
    public override ModelTensorNames ModelNames(ITensorSource? source)
    {
        var p = Prefix(source) + "decoder.";
        return new ModelTensorNames
        {
            Embedding = p + "embed_tokens.weight",
            Positions = p + "embed_positions.weight",
            FinalNormWeight = p + "final_layer_norm.weight",
            FinalNormBias = p + "final_layer_norm.bias",
            HeadWeight = "lm_head.weight",
            HeadBias = "lm_head.bias",
        };
    }

    // facebook/opt-* checkpoints exist both with and without the "model." prefix.
    private static string Prefix(ITensorSource? source) =>
        source is not null && !source.TryGetInfo("model.decoder.embed_tokens.weight", out _)
            && source.TryGetInfo("decoder.embed_tokens.weight", out _) ? "" : "model.";
}
