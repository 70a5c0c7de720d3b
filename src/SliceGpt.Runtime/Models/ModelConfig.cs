using SliceGpt.Runtime.Checkpoints;

namespace SliceGpt.Runtime.Models;

/// <summary>The model families SliceGpt supports, chosen from <c>config.json</c>, never from a path.</summary>
public enum ArchitectureFamily
{
    /// <summary>Llama 2/3, Mistral and llama2.c checkpoints: RMSNorm, SwiGLU, RoPE, GQA.</summary>
    Llama,
    /// <summary>OPT: pre-LayerNorm, ReLU, learned positions with offset 2, biases.</summary>
    Opt,
    /// <summary>Phi-2: parallel attention and MLP, one LayerNorm per block, partial rotary, gelu_new.</summary>
    Phi,
    /// <summary>Phi-3: Llama-like with fused qkv and gate_up projections.</summary>
    Phi3,
}

/// <summary>How a block's norm normalises its input.</summary>
public enum NormKind
{
    /// <summary>x / sqrt(mean(x²) + eps), times an optional scale.</summary>
    RmsNorm,
    /// <summary>(x − mean) / sqrt(var + eps), times a scale, plus a shift.</summary>
    LayerNorm,
}

/// <summary>Which coordinates of a head rotary embeddings rotate together.</summary>
public enum RopeLayout
{
    /// <summary>No rotary embedding (OPT uses learned positions).</summary>
    None,
    /// <summary>Adjacent pairs (2i, 2i+1), as llama2.c stores its weights.</summary>
    Interleaved,
    /// <summary>Halves (i, i + rotaryDim/2), as Hugging Face implements it.</summary>
    RotateHalf,
}

/// <summary>The MLP's non-linearity.</summary>
public enum MlpActivation
{
    /// <summary>down(silu(gate(x)) · up(x)); the up projection is stored fused as [gate; up].</summary>
    SiluGated,
    /// <summary>fc2(relu(fc1(x))).</summary>
    Relu,
    /// <summary>fc2(gelu_new(fc1(x))), the tanh approximation.</summary>
    GeluNew,
}

/// <summary>How attention and MLP share the residual stream.</summary>
public enum BlockKind
{
    /// <summary>h = x + Attn(N1(x)); y = h + MLP(N2(h)).</summary>
    Sequential,
    /// <summary>y = x + Attn(N(x)) + MLP(N(x)) (Phi-2).</summary>
    Parallel,
}

/// <summary>Llama 3's frequency-dependent RoPE scaling (<c>rope_scaling.rope_type = "llama3"</c>).</summary>
/// <param name="Factor">Divisor for low frequencies.</param>
/// <param name="LowFreqFactor">Wavelengths above original/low are fully scaled.</param>
/// <param name="HighFreqFactor">Wavelengths below original/high are kept.</param>
/// <param name="OriginalMaxPositions">The pre-training context length.</param>
public sealed record Llama3RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositions);

/// <summary>
/// The dimensions and semantics of a transformer, normalised across families. Immutable.
/// Widths of a sliced model live in its layers, not here: <see cref="Dim"/> is always the original D.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>The family whose semantics apply.</summary>
    public required ArchitectureFamily Family { get; init; }

    /// <summary>The architecture name as the checkpoint states it (e.g. "LlamaForCausalLM", "llama2.c").</summary>
    public required string ArchitectureName { get; init; }

    /// <summary>Residual width D of the original model (the RMSNorm divisor even after slicing).</summary>
    public required int Dim { get; init; }

    /// <summary>MLP intermediate width.</summary>
    public required int HiddenDim { get; init; }

    /// <summary>Number of transformer blocks.</summary>
    public required int NLayers { get; init; }

    /// <summary>Number of query heads.</summary>
    public required int NHeads { get; init; }

    /// <summary>Number of key/value heads (GQA when smaller than <see cref="NHeads"/>).</summary>
    public required int NKvHeads { get; init; }

    /// <summary>Width of one head.</summary>
    public required int HeadDim { get; init; }

    /// <summary>Rows of the embedding and the head.</summary>
    public required int VocabSize { get; init; }

    /// <summary>Longest sequence the model supports.</summary>
    public required int MaxSeqLen { get; init; }

    /// <summary>The norms' epsilon.</summary>
    public required double NormEps { get; init; }

    /// <summary>The norm kind of the original checkpoint.</summary>
    public required NormKind Norm { get; init; }

    /// <summary>Sequential or parallel blocks.</summary>
    public required BlockKind Block { get; init; }

    /// <summary>The MLP non-linearity.</summary>
    public required MlpActivation Activation { get; init; }

    /// <summary>Rotary layout, or <see cref="RopeLayout.None"/>.</summary>
    public required RopeLayout Rope { get; init; }

    /// <summary>RoPE base.</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Leading dimensions of each head that rotate (= <see cref="HeadDim"/> unless partial).</summary>
    public int RotaryDim { get; init; }

    /// <summary>Llama 3 RoPE scaling, when the checkpoint uses it.</summary>
    public Llama3RopeScaling? RopeScaling { get; init; }

    /// <summary>Learned position table offset (OPT: 2); null when positions are rotary.</summary>
    public int? LearnedPositionOffset { get; init; }

    /// <summary>Attention window of sliding-window models; sequences longer than it are refused.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>The head shares the embedding matrix in the checkpoint.</summary>
    public bool TiedEmbeddings { get; init; }

    /// <summary>The q, k, v and attention-output projections carry biases.</summary>
    public bool AttentionBias { get; init; }

    /// <summary>The MLP projections carry biases.</summary>
    public bool MlpBias { get; init; }

    /// <summary>The head carries a bias (Phi-2).</summary>
    public bool HeadBias { get; init; }

    /// <summary>Beginning-of-sequence id from the config, if any.</summary>
    public int? BosId { get; init; }

    /// <summary>End-of-sequence id from the config, if any.</summary>
    public int? EosId { get; init; }

    /// <summary>The dtype the checkpoint stores its weights in.</summary>
    public TensorDType StorageDType { get; init; } = TensorDType.F32;

    /// <summary>How the checkpoint was sliced; null for a dense checkpoint.</summary>
    public SliceMetadata? Slicing { get; init; }

    /// <summary>Width of all query heads together.</summary>
    public int QDim => NHeads * HeadDim;

    /// <summary>Width of all key (or value) heads together.</summary>
    public int KvDim => NKvHeads * HeadDim;

    /// <summary>Width of the fused up projection's output ([gate; up] for gated MLPs).</summary>
    public int UpDim => Activation == MlpActivation.SiluGated ? 2 * HiddenDim : HiddenDim;

    /// <summary>Checks the invariants every family relies on; throws naming <paramref name="file"/> and the field.</summary>
    public void Validate(string file)
    {
        Positive(file, "hidden_size", Dim);
        Positive(file, "intermediate_size", HiddenDim);
        Positive(file, "num_hidden_layers", NLayers);
        Positive(file, "num_attention_heads", NHeads);
        Positive(file, "num_key_value_heads", NKvHeads);
        Positive(file, "head_dim", HeadDim);
        Positive(file, "vocab_size", VocabSize);
        Positive(file, "max_position_embeddings", MaxSeqLen);
        // Far beyond any real model, and low enough that no size computed from them overflows or asks for an absurd
        // allocation before the checkpoint's tensors are compared with them.
        AtMost(file, "hidden_size", Dim, 1 << 20);
        AtMost(file, "intermediate_size", HiddenDim, 1 << 20);
        AtMost(file, "num_hidden_layers", NLayers, 1 << 16);
        AtMost(file, "num_attention_heads", NHeads, 1 << 16);
        AtMost(file, "head_dim", HeadDim, 1 << 16);
        AtMost(file, "vocab_size", VocabSize, 1 << 24);
        AtMost(file, "max_position_embeddings", MaxSeqLen, 1 << 24);
        if ((long)NHeads * HeadDim > 1 << 20)
            throw new CheckpointFormatException(file, null, "head_dim", $"num_attention_heads × head_dim at most {1 << 20}", $"{NHeads} × {HeadDim}");
        if (NHeads % NKvHeads != 0)
            throw new CheckpointFormatException(file, null, "num_key_value_heads", $"a divisor of num_attention_heads ({NHeads})", NKvHeads.ToString());
        if (Rope != RopeLayout.None && (RotaryDim <= 0 || RotaryDim > HeadDim || RotaryDim % 2 != 0))
            throw new CheckpointFormatException(file, null, "partial_rotary_factor", $"an even rotary width in (0, {HeadDim}]", RotaryDim.ToString());
        if (!(NormEps > 0))
            throw new CheckpointFormatException(file, null, "norm eps", "a positive number", NormEps.ToString("R"));
    }

    private static void AtMost(string file, string field, int value, int limit)
    {
        if (value > limit)
            throw new CheckpointFormatException(file, null, field, $"at most {limit} (a plausible model)", value.ToString());
    }

    private static void Positive(string file, string field, int value)
    {
        if (value <= 0)
            throw new CheckpointFormatException(file, null, field, "a positive integer", value.ToString());
    }
}
