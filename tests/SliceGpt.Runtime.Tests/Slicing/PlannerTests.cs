using SliceGpt.Runtime.Architectures;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Tests.Support;

namespace SliceGpt.Runtime.Tests.Slicing;

/// <summary>Width schedules and parameter counts, against the paper's published counts and against real sliced models.</summary>
public class PlannerTests
{
    // facebook/opt-125m config.json, public values.
    private const string Opt125m = """
        {"architectures": ["OPTForCausalLM"], "model_type": "opt", "hidden_size": 768, "ffn_dim": 3072,
         "num_hidden_layers": 12, "num_attention_heads": 12, "vocab_size": 50272, "max_position_embeddings": 2048,
         "word_embed_proj_dim": 768, "do_layer_norm_before": true, "activation_function": "relu",
         "enable_bias": true, "tie_word_embeddings": true, "torch_dtype": "float16"}
        """;

    // microsoft/phi-2 config.json, public values.
    private const string Phi2 = """
        {"architectures": ["PhiForCausalLM"], "model_type": "phi", "hidden_size": 2560, "intermediate_size": 10240,
         "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 51200,
         "max_position_embeddings": 2048, "partial_rotary_factor": 0.4, "layer_norm_eps": 1e-05,
         "rope_theta": 10000.0, "hidden_act": "gelu_new", "qk_layernorm": false, "tie_word_embeddings": false,
         "torch_dtype": "float16"}
        """;

    private static ModelConfig Config(string json)
    {
        var config = ConfigJson.Parse("config.json", json);
        return ArchitectureRegistry.Resolve(config).ReadConfig(config);
    }

    [Test]
    public void Opt125m_At20Percent_MatchesThePublishedCount()
    {
        var plan = SlicingPlanner.Plan(Config(Opt125m), new SlicingOptions { Sparsity = 0.2 });
        Assert.That(plan.ParamsAfter, Is.EqualTo(147_250_880L), "SLICEGPT.md §5");
        Assert.That(plan.Widths[0], Is.EqualTo(new LayerWidths(608, 608, 608)), "floor(0.8·768) = 614, rounded down to 608");
        Assert.That(plan.Widths[^1].Out, Is.EqualTo(768), "the head is not sliced");
    }

    [Test]
    public void Phi2_At20Percent_MatchesThePublishedCount()
    {
        var plan = SlicingPlanner.Plan(Config(Phi2), new SlicingOptions { Sparsity = 0.2 });
        Assert.That(plan.ParamsAfter, Is.EqualTo(2_391_772_160L), "SLICEGPT.md §5");
        Assert.That(plan.ParamsBefore, Is.EqualTo(2_779_683_840L), "Phi-2's published 2.78B parameters");
    }

    [Test]
    public void Opt125m_DenseCount_IsTheKnown125M()
    {
        // 125,239,296 parameters (tied head counted once), the count Hugging Face reports for facebook/opt-125m.
        Assert.That(ParameterCounter.Dense(Config(Opt125m)), Is.EqualTo(125_239_296L));
    }

    [TestCase("models", "stories260K", "stories260K.bin")]
    [TestCase("models", "opt-tiny-ts")]
    [TestCase("models", "phi-tiny-ts")]
    [TestCase("models", "babyllama-tok105", "model5000.bin")]
    public void DenseCountFromTheConfigAlone_EqualsTheLoadedModel(params string[] path)
    {
        var location = SharedPaths.Get(path);
        Assert.That(ParameterCounter.Dense(ModelLoader.ReadConfig(location)), Is.EqualTo(ModelLoader.Load<float>(location).ParameterCount));
    }

    [TestCase("llama", false)]
    [TestCase("opt", false)]
    [TestCase("phi", false)]
    [TestCase("phi3", false)]
    [TestCase("llama", true)]
    [TestCase("phi", true)]
    public void PlannedCount_EqualsTheActuallySlicedModel(string family, bool sliceHead)
    {
        var model = InvarianceTests.Synthetic<float>(family);
        var options = new SlicingOptions { Sparsity = 0.25, RoundTo = 4, SliceHead = sliceHead };
        var result = SliceGptPipeline.Slice(model, InvarianceTests.Calibration(model.Config.VocabSize), options);
        var plan = SlicingPlanner.Plan(model.Config, options);
        Assert.That(result.Widths, Is.EqualTo(plan.Widths));
        Assert.That(result.Model.ParameterCount, Is.EqualTo(plan.ParamsAfter));
        Assert.That(result.Model.Head.InFeatures, Is.EqualTo(sliceHead ? 12 : 16));
    }

    [TestCase(-0.1)]
    [TestCase(1.0)]
    [TestCase(double.NaN)]
    public void SparsityOutsideTheUnitInterval_IsRefusedNamingTheOption(double sparsity)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SlicingPlanner.Plan(Config(Opt125m), new SlicingOptions { Sparsity = sparsity }))!;
        Assert.That(e.ParamName, Is.EqualTo("sparsity"));
    }

    [Test]
    public void VarianceTarget_KeepsMoreWhereTheSpectrumIsFlat()
    {
        var model = InvarianceTests.Synthetic<double>("opt");
        var result = SliceGptPipeline.Slice(model, InvarianceTests.Calibration(model.Config.VocabSize, rows: 8),
            new SlicingOptions { VarianceTarget = 0.9, RoundTo = 1 });
        foreach (var s in result.Spectra.Where(s => s.KeptWidth < 16))
        {
            Assert.That(s.ExplainedVariance, Is.GreaterThanOrEqualTo(0.9), s.Name);
            var shares = s.Eigenvalues.Select(v => Math.Max(v, 0)).ToArray();
            Assert.That(shares.Take(s.KeptWidth - 1).Sum() / shares.Sum(), Is.LessThan(0.9), $"{s.Name}: the fewest components");
        }
    }
}
