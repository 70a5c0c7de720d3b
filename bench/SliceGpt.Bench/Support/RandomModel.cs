using SliceGpt.Runtime.Models;

namespace SliceGpt.Bench.Support;

/// <summary>
/// Models with random weights at a real model's shapes, for speed measurements where only the shapes matter
/// (values N(0, 0.02²) as in the models' initialisation, so activations stay in a realistic range).
/// </summary>
internal static class RandomModel
{
    /// <summary>facebook/opt-125m's dimensions (public config.json values).</summary>
    public static ModelConfig Opt125m => new()
    {
        Family = ArchitectureFamily.Opt, ArchitectureName = "OPTForCausalLM (random, opt-125m shapes)", Dim = 768, HiddenDim = 3072,
        NLayers = 12, NHeads = 12, NKvHeads = 12, HeadDim = 64, VocabSize = 50272, MaxSeqLen = 2048, NormEps = 1e-5,
        Norm = NormKind.LayerNorm, Block = BlockKind.Sequential, Activation = MlpActivation.Relu, Rope = RopeLayout.None,
        LearnedPositionOffset = 2, TiedEmbeddings = true, AttentionBias = true, MlpBias = true,
    };

    public static TransformerModel<float> Create(ModelConfig c, int seed = 1)
    {
        var rng = new Random(seed);
        Matrix<float> M(int rows, int cols) => new(rows, cols, Values(rows * cols, 0.02f, rng));
        float[]? B(int n) => c.Norm == NormKind.LayerNorm ? Values(n, 0.02f, rng) : null;
        Norm<float> N() => new(c.Norm, Enumerable.Repeat(1f, c.Dim).ToArray(), B(c.Dim), c.NormEps, c.Dim);
        var embedding = M(c.VocabSize, c.Dim);
        var layers = Enumerable.Range(0, c.NLayers).Select(_ => new TransformerLayer<float>
        {
            AttentionNorm = N(),
            Qkv = new Linear<float>(M(c.QDim + 2 * c.KvDim, c.Dim), c.AttentionBias ? Values(c.QDim + 2 * c.KvDim, 0.02f, rng) : null),
            AttentionOut = new Linear<float>(M(c.Dim, c.QDim), c.AttentionBias ? Values(c.Dim, 0.02f, rng) : null),
            MlpNorm = c.Block == BlockKind.Parallel ? null : N(),
            Up = new Linear<float>(M(c.UpDim, c.Dim), c.MlpBias ? Values(c.UpDim, 0.02f, rng) : null),
            Down = new Linear<float>(M(c.Dim, c.HiddenDim), c.MlpBias ? Values(c.Dim, 0.02f, rng) : null),
        }).ToArray();
        return new TransformerModel<float>
        {
            Config = c,
            Embedding = embedding,
            Positions = c.LearnedPositionOffset is int offset ? M(c.MaxSeqLen + offset, c.Dim) : null,
            Layers = layers,
            FinalNorm = N(),
            Head = new Linear<float>(embedding, null),
        };
    }

    private static float[] Values(int n, float scale, Random rng)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++)
            v[i] = (float)(rng.NextDouble() * 2 - 1) * scale * 1.732f; // uniform with standard deviation `scale`
        return v;
    }
}
