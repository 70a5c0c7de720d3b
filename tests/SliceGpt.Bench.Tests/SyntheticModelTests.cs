using SliceGpt.Bench.Gpu;
using SliceGpt.Bench.Gpu.EndToEnd;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;

namespace SliceGpt.Bench.Tests;

/// <summary>
/// The random host models, built at a small LLAMA-2 shape (the 7B one is 2 GB of host data per variant): they follow
/// their blueprint, share host arrays between blocks, count the planner's parameters, and keep a random forward in the
/// range the GPU suites' sanity check expects.
/// </summary>
public class SyntheticModelTests
{
    // LLAMA-2 7B's config with small dimensions: the same adapter output, family and semantics.
    private static readonly ModelConfig Tiny = PublishedModels.Config("llama-2-7b") with
    {
        Dim = 64, HiddenDim = 96, NHeads = 4, NKvHeads = 4, HeadDim = 16, RotaryDim = 16, NLayers = 3, VocabSize = 97, MaxSeqLen = 64,
    };

    [TestCase(ModelVariant.Dense)]
    [TestCase(ModelVariant.Sliced25)]
    [TestCase(ModelVariant.Sliced50)]
    public void Model_FollowsItsBlueprint_AndCountsThePlannersParameters(ModelVariant variant)
    {
        var blueprint = ModelBlueprint.Of(Tiny, variant);
        var model = SyntheticModel.Create(blueprint);
        var plan = SlicingPlanner.Plan(Tiny, new SlicingOptions { Sparsity = variant.Sparsity() ?? 0.25 });
        Assert.Multiple(() =>
        {
            Assert.That(model.ParameterCount, Is.EqualTo(blueprint.Parameters));
            Assert.That(model.ParameterCount, Is.EqualTo(variant == ModelVariant.Dense ? plan.ParamsBefore : plan.ParamsAfter));
            for (int l = 0; l < model.Layers.Length; l++)
            {
                var (layer, shape) = (model.Layers[l], blueprint.Blocks[l]);
                Assert.That((layer.Qkv.OutFeatures, layer.Qkv.InFeatures), Is.EqualTo(shape.Qkv), $"layer {l} qkv");
                Assert.That((layer.AttentionOut.OutFeatures, layer.AttentionOut.InFeatures), Is.EqualTo(shape.AttentionOut), $"layer {l} o");
                Assert.That((layer.Up.OutFeatures, layer.Up.InFeatures), Is.EqualTo(shape.Up), $"layer {l} gate/up");
                Assert.That((layer.Down.OutFeatures, layer.Down.InFeatures), Is.EqualTo(shape.Down), $"layer {l} down");
                Assert.That(Shape(layer.AttentionShortcut), Is.EqualTo(shape.AttentionShortcut), $"layer {l} attention shortcut");
                Assert.That(Shape(layer.MlpShortcut), Is.EqualTo(shape.MlpShortcut), $"layer {l} MLP shortcut");
                Assert.That(layer.AttentionNorm.Weight is not null, Is.EqualTo(blueprint.NormWeights));
                Assert.That(layer.AttentionNorm.MeanDim, Is.EqualTo(Tiny.Dim), "the RMSNorm divisor stays D");
            }
            Assert.That((model.Embedding.Rows, model.Embedding.Cols), Is.EqualTo((Tiny.VocabSize, blueprint.EmbeddingWidth)));
            Assert.That((model.Head.OutFeatures, model.Head.InFeatures), Is.EqualTo((Tiny.VocabSize, blueprint.HeadWidth)));
            Assert.That(model.HeadTiedToEmbedding, Is.False);
        });
    }

    [Test]
    public void BlocksOfOneShape_ShareTheirHostArrays()
    {
        var model = SyntheticModel.Create(ModelBlueprint.Of(Tiny, ModelVariant.Sliced25));
        var (first, middle, last) = (model.Layers[0], model.Layers[1], model.Layers[^1]);
        Assert.Multiple(() =>
        {
            Assert.That(middle, Is.SameAs(first), "layers 0 to L-2 are one host object");
            Assert.That(last, Is.Not.SameAs(first), "the last layer writes D, not d");
            Assert.That(last.Qkv.Weight, Is.Not.SameAs(first.Qkv.Weight));
            Assert.That(last.Qkv.Weight.Span.ToArray(), Is.EqualTo(first.Qkv.Weight.Span.ToArray()), "same role and shape: same values");
            long allParameters = model.ParameterCount * sizeof(float);
            Assert.That(SyntheticModel.DistinctHostBytes(model), Is.LessThan(allParameters), "shared arrays are counted once");
        });
    }

    [Test]
    public void Model_IsDeterministicInItsSeed()
    {
        var blueprint = ModelBlueprint.Of(Tiny, ModelVariant.Sliced50);
        var a = SyntheticModel.Create(blueprint, seed: 7);
        var b = SyntheticModel.Create(blueprint, seed: 7);
        var c = SyntheticModel.Create(blueprint, seed: 8);
        Assert.That(a.Layers[0].Up.Weight.Span.ToArray(), Is.EqualTo(b.Layers[0].Up.Weight.Span.ToArray()));
        Assert.That(a.Layers[0].Up.Weight.Span.ToArray(), Is.Not.EqualTo(c.Layers[0].Up.Weight.Span.ToArray()));
    }

    [TestCase(ModelVariant.Dense)]
    [TestCase(ModelVariant.Sliced25)]
    [TestCase(ModelVariant.Sliced50)]
    public void RandomForward_GivesALossNearLnVocab_AsTheGpuSanityCheckExpects(ModelVariant variant)
    {
        // The GPU workloads refuse to time a forward whose mean NLL per token is outside [ln V / 2, 2 ln V]; on the CPU
        // reference, the random weights (std 0.02) and shortcuts (std 1/sqrt(in)) give about ln V + 0.8·(D/4096).
        var model = SyntheticModel.Create(ModelBlueprint.Of(Tiny, variant));
        var rng = new Random(3);
        int batch = 2, seqLen = 16;
        var tokens = Enumerable.Range(0, batch * seqLen).Select(_ => rng.Next(Tiny.VocabSize)).ToArray();
        var sums = new double[batch];
        using (var session = new CpuSession<float>(model, batch, seqLen))
            session.RowNegLogLikelihoods(tokens, batch, seqLen, sums);
        double mean = sums.Sum() / (batch * (seqLen - 1));
        double lnV = Math.Log(Tiny.VocabSize);
        Assert.That(mean, Is.InRange(lnV / 2, 2 * lnV));
        Assert.That(mean, Is.EqualTo(lnV).Within(0.5), "random weights this small predict nearly uniformly");
    }

    private static (int Rows, int Cols)? Shape(Matrix<float>? m) => m is null ? null : (m.Rows, m.Cols);
}
