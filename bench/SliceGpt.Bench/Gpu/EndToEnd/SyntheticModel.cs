using SliceGpt.Bench.Support;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>
/// Host models with random weights at a <see cref="ModelBlueprint"/>'s shapes, for speed measurements only. A 7B model
/// in host fp32 would be 27 GB and minutes of random numbers, so every tensor of a given role and shape is made once
/// and shared by all blocks that have it (a sliced 7B model has two block shapes: layers 0-30, and the last layer,
/// which writes the full width for the head). The GPU upload must then be asked for a device copy per block
/// (<c>CudaBackend.Prepare(model, precision, shareRepeatedTensors: false)</c>), so the device holds and streams as
/// many bytes as a real checkpoint. About 2 GB of host fp32 per 7B variant, generated on all cores.
/// </summary>
internal static class SyntheticModel
{
    // Weights: uniform with standard deviation 0.02 (LLAMA's initialisation), so a block's outputs stay near unit scale
    // and fp16 neither overflows nor underflows through 32 blocks. Shortcuts: standard deviation 1/sqrt(in), so x·S keeps
    // the residual's scale, as the orthogonal Q_aᵀ·Q_b of a real sliced model does.
    private const float WeightStd = 0.02f;
    private static readonly float Sqrt3 = MathF.Sqrt(3f);

    /// <summary>A model of <paramref name="blueprint"/>'s shapes with random weights (deterministic in <paramref name="seed"/>).</summary>
    public static TransformerModel<float> Create(ModelBlueprint blueprint, ulong seed = 1)
    {
        var c = blueprint.Config;
        var tensors = new Dictionary<(string Role, int Rows, int Cols), float[]>();
        float[] Values(string role, (int Rows, int Cols) shape, float std)
        {
            if (!tensors.TryGetValue((role, shape.Rows, shape.Cols), out var data))
                tensors[(role, shape.Rows, shape.Cols)] = data = HostData.UniformFloats((long)shape.Rows * shape.Cols,
                    seed + HostData.Seed($"{role} {shape.Rows}x{shape.Cols}"), std * Sqrt3);
            return data;
        }
        Matrix<float> Weight(string role, (int Rows, int Cols) shape) => new(shape.Rows, shape.Cols, Values(role, shape, WeightStd));
        Matrix<float>? Shortcut(string role, (int Rows, int Cols)? shape) =>
            shape is { } s ? new Matrix<float>(s.Rows, s.Cols, Values(role, s, 1f / MathF.Sqrt(s.Rows))) : null;

        // A dense checkpoint's norms have scales (ones here); a sliced model's are weightless RMSNorms over D.
        var scale = blueprint.NormWeights ? Enumerable.Repeat(1f, c.Dim).ToArray() : null;
        Norm<float> Norm() => new(NormKind.RmsNorm, scale, null, c.NormEps, c.Dim);

        var layers = new Dictionary<BlockShape, TransformerLayer<float>>();
        TransformerLayer<float> Layer(BlockShape b)
        {
            if (!layers.TryGetValue(b, out var layer))
            {
                layers[b] = layer = new TransformerLayer<float>
                {
                    AttentionNorm = Norm(),
                    Qkv = new Linear<float>(Weight("qkv", b.Qkv), null),
                    AttentionOut = new Linear<float>(Weight("o", b.AttentionOut), null),
                    MlpNorm = Norm(),
                    Up = new Linear<float>(Weight("gate_up", b.Up), null),
                    Down = new Linear<float>(Weight("down", b.Down), null),
                    AttentionShortcut = Shortcut("attention_shortcut", b.AttentionShortcut),
                    MlpShortcut = Shortcut("mlp_shortcut", b.MlpShortcut),
                };
            }
            return layer;
        }

        return new TransformerModel<float>
        {
            Config = c,
            Embedding = Weight("embedding", (c.VocabSize, blueprint.EmbeddingWidth)),
            Positions = null,
            Layers = blueprint.Blocks.Select(Layer).ToArray(),
            FinalNorm = Norm(),
            Head = new Linear<float>(Weight("head", (c.VocabSize, blueprint.HeadWidth)), null),
        };
    }

    /// <summary>Bytes of host memory the model's distinct arrays take (what <see cref="Create"/> allocated).</summary>
    public static long DistinctHostBytes(TransformerModel<float> model)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        long bytes = 0;
        void Add(float[]? data)
        {
            if (data is not null && seen.Add(data))
                bytes += data.LongLength * sizeof(float);
        }
        Add(model.Embedding.Data);
        foreach (var l in model.Layers)
        {
            foreach (var linear in new[] { l.Qkv, l.AttentionOut, l.Up, l.Down })
                Add(linear.Weight.Data);
            Add(l.AttentionShortcut?.Data);
            Add(l.MlpShortcut?.Data);
            Add(l.AttentionNorm.Weight);
            Add(l.MlpNorm?.Weight);
        }
        Add(model.FinalNorm.Weight);
        Add(model.Head.Weight.Data);
        return bytes;
    }
}
