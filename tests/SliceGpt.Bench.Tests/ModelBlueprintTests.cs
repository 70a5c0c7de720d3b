using SliceGpt.Bench.Gpu;
using SliceGpt.Bench.Gpu.EndToEnd;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Bench.Tests;

/// <summary>
/// The shapes of the end-to-end suites' LLAMA-2-7B-shaped models, from the published config through the engine's
/// adapter and SlicingPlanner, against the numbers known for the model and against the planner's parameter counts.
/// </summary>
public class ModelBlueprintTests
{
    private static readonly Runtime.Models.ModelConfig Llama7B = PublishedModels.Config("llama-2-7b");

    [Test]
    public void Dense7B_HasTheCheckpointsShapes_AndItsPublishedParameterCount()
    {
        var b = ModelBlueprint.Of(Llama7B, ModelVariant.Dense);
        Assert.Multiple(() =>
        {
            Assert.That(b.Blocks, Has.Count.EqualTo(32));
            Assert.That(b.Blocks.Distinct().Count(), Is.EqualTo(1), "every dense block has one shape");
            var block = b.Blocks[0];
            Assert.That(block.Qkv, Is.EqualTo((12288, 4096)));
            Assert.That(block.AttentionOut, Is.EqualTo((4096, 4096)));
            Assert.That(block.Up, Is.EqualTo((22016, 4096)), "[gate; up]");
            Assert.That(block.Down, Is.EqualTo((4096, 11008)));
            Assert.That(block.AttentionShortcut, Is.Null);
            Assert.That(block.MlpShortcut, Is.Null);
            Assert.That((b.EmbeddingWidth, b.HeadWidth), Is.EqualTo((4096, 4096)));
            Assert.That(b.NormWeights, Is.True);
            Assert.That(b.Config.Slicing, Is.Null);
            // Meta's and Hugging Face's published count, and what the planner calls "before".
            Assert.That(b.Parameters, Is.EqualTo(6_738_415_616L));
            Assert.That(b.Parameters, Is.EqualTo(SlicingPlanner.Plan(Llama7B, new SlicingOptions { Sparsity = 0.25 }).ParamsBefore));
        });
    }

    [TestCase(ModelVariant.Sliced25, 0.25, 3072)]
    [TestCase(ModelVariant.Sliced50, 0.50, 2048)]
    public void Sliced7B_HasTheConstantWidths_ShortcutMatrices_AndThePlannersParameterCount(ModelVariant variant, double sparsity, int d)
    {
        var b = ModelBlueprint.Of(Llama7B, variant);
        var plan = SlicingPlanner.Plan(Llama7B, new SlicingOptions { Sparsity = sparsity });
        var first = b.Blocks[0];
        var last = b.Blocks[^1];
        Assert.Multiple(() =>
        {
            Assert.That(b.Blocks, Has.Count.EqualTo(32));
            Assert.That(b.Blocks.Take(31).Distinct().Count(), Is.EqualTo(1), "layers 0-30 share one shape");
            Assert.That(first.Widths, Is.EqualTo(new LayerWidths(d, d, d)));
            Assert.That(first.Qkv, Is.EqualTo((12288, d)), "only the residual width shrinks");
            Assert.That(first.AttentionOut, Is.EqualTo((d, 4096)));
            Assert.That(first.Up, Is.EqualTo((22016, d)));
            Assert.That(first.Down, Is.EqualTo((d, 11008)));
            Assert.That(first.AttentionShortcut, Is.EqualTo((d, d)));
            Assert.That(first.MlpShortcut, Is.EqualTo((d, d)));
            // The head is rotated but not sliced: the last block writes the full width.
            Assert.That(last.Widths, Is.EqualTo(new LayerWidths(d, d, 4096)));
            Assert.That(last.Down, Is.EqualTo((4096, 11008)));
            Assert.That(last.MlpShortcut, Is.EqualTo((d, 4096)));
            Assert.That((b.EmbeddingWidth, b.HeadWidth), Is.EqualTo((d, 4096)));
            Assert.That(b.NormWeights, Is.False, "a sliced model's norms are fused away");
            Assert.That(b.Blocks.Select(x => x.Widths), Is.EqualTo(plan.Widths));
            Assert.That(b.Config.Slicing!.Widths, Is.EqualTo(plan.Widths));
            Assert.That(b.Parameters, Is.EqualTo(plan.ParamsAfter));
        });
    }

    [Test]
    public void Sliced25_OfTheSevenB_HasTheExpectedParameterCount()
    {
        // By hand: embedding 32000·3072; 31 blocks of 12288·3072 + 3072·4096 + 22016·3072 + 3072·11008 + 2·3072²;
        // the last with a 4096-row down projection and a 3072×4096 MLP shortcut; head 32000·4096.
        long d = 3072, block = 12288 * d + d * 4096 + 22016 * d + d * 11008 + 2 * d * d;
        long last = 12288 * d + d * 4096 + 22016 * d + 4096L * 11008 + d * d + d * 4096;
        long expected = 32000 * d + 31 * block + last + 32000L * 4096;
        Assert.That(ModelBlueprint.Of(Llama7B, ModelVariant.Sliced25).Parameters, Is.EqualTo(expected));
    }

    [Test]
    public void OtherFamilies_AreRefused()
    {
        Assert.Throws<NotSupportedException>(() => ModelBlueprint.Of(PublishedModels.Config("opt-13b"), ModelVariant.Dense));
    }
}
