using System.Buffers.Binary;

namespace SliceGpt.Runtime.Checkpoints;

/// <summary>
/// A legacy (version 0) llama2.c checkpoint: the <see cref="Llama2cHeader"/>, then float32 arrays in the order
/// token_embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, freq_cis_real, freq_cis_imag and,
/// when the classifier is not shared, wcls. Tensors are exposed under the Hugging Face Llama names (w1 = gate,
/// w3 = up, w2 = down), unpermuted: the q/k rows stay in llama2.c's interleaved RoPE layout.
/// </summary>
public sealed class Llama2cCheckpoint : ITensorSource
{
    // The versioned exports (llama2.c export.py version ≥ 1) start with this magic ("ak42") instead of dim.
    private const uint VersionedMagic = 0x616b3432;

    private readonly MappedFile _file;
    private readonly Dictionary<string, TensorInfo> _tensors;

    /// <summary>The header.</summary>
    public Llama2cHeader Header { get; }

    /// <inheritdoc/>
    public string Location => _file.Path;

    private Llama2cCheckpoint(MappedFile file, Llama2cHeader header, Dictionary<string, TensorInfo> tensors)
    {
        _file = file;
        Header = header;
        _tensors = tensors;
    }

    /// <summary>Opens and validates <paramref name="path"/>: header values and the exact file size.</summary>
    /// <exception cref="CheckpointFormatException">Not a legacy llama2.c checkpoint, inconsistent or truncated.</exception>
    public static Llama2cCheckpoint Open(string path)
    {
        var file = MappedFile.Open(path);
        try
        {
            var header = ReadHeader(file);
            var tensors = Layout(path, header, out long floats);
            long expected = Llama2cHeader.Size + 4 * floats;
            if (file.Length != expected)
                throw new CheckpointFormatException(path, null, "file size",
                    $"{expected} bytes for the header's dimensions{(header.SharedClassifier ? "" : " (with a separate classifier)")}",
                    $"{file.Length} bytes{(file.Length < expected ? " (truncated)" : "")}");
            return new Llama2cCheckpoint(file, header, tensors);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static Llama2cHeader ReadHeader(MappedFile file)
    {
        if (file.Length < Llama2cHeader.Size)
            throw new CheckpointFormatException(file.Path, null, "header", $"a {Llama2cHeader.Size}-byte llama2.c header", $"a file of {file.Length} bytes");
        var bytes = file.Bytes(0, Llama2cHeader.Size).ToArray();
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes) == VersionedMagic)
            throw new CheckpointFormatException(file.Path, null, "version", "a legacy (version 0) llama2.c checkpoint",
                $"a versioned export (magic \"ak42\", version {BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4))})");
        int Field(int i) => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4 * i));
        int dim = Field(0), hidden = Field(1), layers = Field(2), heads = Field(3), kvHeads = Field(4), vocab = Field(5), seqLen = Field(6);
        void Positive(string field, int value)
        {
            if (value <= 0)
                throw new CheckpointFormatException(file.Path, null, field, "a positive integer", value.ToString());
        }
        Positive("dim", dim);
        Positive("hidden_dim", hidden);
        Positive("n_layers", layers);
        Positive("n_heads", heads);
        Positive("n_kv_heads", kvHeads);
        Positive("seq_len", seqLen);
        if (vocab == 0 || vocab == int.MinValue)
            throw new CheckpointFormatException(file.Path, null, "vocab_size", "a non-zero integer", vocab.ToString());
        if (dim % heads != 0 || (dim / heads) % 2 != 0)
            throw new CheckpointFormatException(file.Path, null, "n_heads", $"a divisor of dim ({dim}) leaving an even head size", heads.ToString());
        if (kvHeads > heads || heads % kvHeads != 0)
            throw new CheckpointFormatException(file.Path, null, "n_kv_heads", $"a divisor of n_heads ({heads})", kvHeads.ToString());
        return new Llama2cHeader(dim, hidden, layers, heads, kvHeads, Math.Abs(vocab), seqLen, vocab > 0);
    }

    private static Dictionary<string, TensorInfo> Layout(string path, Llama2cHeader h, out long floats)
    {
        var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        long offset = Llama2cHeader.Size;
        long d = h.Dim, hidden = h.HiddenDim, kv = h.KvDim;
        // One stacked array per kind; layer i's tensor is the i-th slice of it.
        void Stacked(string suffix, params long[] shape)
        {
            long elements = shape.Aggregate(1L, (a, b) => a * b);
            for (int i = 0; i < h.NLayers; i++)
            {
                var name = $"model.layers.{i}.{suffix}";
                tensors[name] = new TensorInfo(name, TensorDType.F32, shape, path, offset, 4 * elements);
                offset += 4 * elements;
            }
        }
        void Single(string? name, params long[] shape)
        {
            long elements = shape.Aggregate(1L, (a, b) => a * b);
            if (name is not null)
                tensors[name] = new TensorInfo(name, TensorDType.F32, shape, path, offset, 4 * elements);
            offset += 4 * elements;
        }
        checked
        {
            Single("model.embed_tokens.weight", h.VocabSize, d);
            Stacked("input_layernorm.weight", d);
            Stacked("self_attn.q_proj.weight", d, d);
            Stacked("self_attn.k_proj.weight", kv, d);
            Stacked("self_attn.v_proj.weight", kv, d);
            Stacked("self_attn.o_proj.weight", d, d);
            Stacked("post_attention_layernorm.weight", d);
            Stacked("mlp.gate_proj.weight", hidden, d);
            Stacked("mlp.down_proj.weight", d, hidden);
            Stacked("mlp.up_proj.weight", hidden, d);
            Single("model.norm.weight", d);
            Single(null, h.SeqLen, h.HeadDim / 2); // freq_cis_real: recomputed by the runtime
            Single(null, h.SeqLen, h.HeadDim / 2); // freq_cis_imag
            if (!h.SharedClassifier)
                Single("lm_head.weight", h.VocabSize, d);
        }
        floats = (offset - Llama2cHeader.Size) / 4;
        return tensors;
    }

    /// <inheritdoc/>
    public IReadOnlyCollection<string> Names => _tensors.Keys;

    /// <inheritdoc/>
    public bool TryGetInfo(string name, out TensorInfo info) => _tensors.TryGetValue(name, out info!);

    /// <inheritdoc/>
    public void Read(string name, Span<float> destination) => TensorReader.Read(_file, InfoOf(name), destination);

    /// <inheritdoc/>
    public void Read(string name, Span<double> destination) => TensorReader.Read(_file, InfoOf(name), destination);

    private TensorInfo InfoOf(string name) => _tensors.TryGetValue(name, out var info)
        ? info
        : throw new CheckpointFormatException(Location, name, null, "the tensor", "no such tensor");

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
