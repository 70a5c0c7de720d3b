using SliceGpt.Runtime.Architectures;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;

namespace SliceGpt.Runtime.Tests.Slicing;

/// <summary>
/// The per-layer products the GPU benchmarks time (paper appendix A.7), derived from the published configs in
/// bench/SliceGpt.Bench/Gpu/Configs exactly as the benchmarks read them, against shapes known from the models.
/// </summary>
public class LayerGemmsTests
{
    private static ModelConfig Published(string name)
    {
        var json = ConfigJson.Load(Path.Combine(AppContext.BaseDirectory, "PublishedConfigs", name + ".json"));
        return ArchitectureRegistry.Resolve(json).ReadConfig(json);
    }

    private static Dictionary<string, (int Out, int In)> Shapes(ModelConfig config, double? sparsity = null)
    {
        var widths = sparsity is double s ? SlicingPlanner.ConstantWidths(config, new SlicingOptions { Sparsity = s })[0] : null;
        return LayerGemms.Of(config, widths).ToDictionary(g => g.Name, g => (g.OutFeatures, g.InFeatures));
    }

    [TestCase("llama-2-7b", 4096, 11008, 32, 32, 32, 32000)]
    [TestCase("llama-2-13b", 5120, 13824, 40, 40, 40, 32000)]
    [TestCase("llama-2-70b", 8192, 28672, 64, 8, 80, 32000)]
    [TestCase("opt-13b", 5120, 20480, 40, 40, 40, 50272)]
    [TestCase("opt-30b", 7168, 28672, 56, 56, 48, 50272)]
    [TestCase("opt-66b", 9216, 36864, 72, 72, 64, 50272)]
    public void PublishedConfigs_ReadThroughTheAdapters(string name, int dim, int hiddenDim, int heads, int kvHeads, int layers, int vocab)
    {
        var c = Published(name);
        Assert.That((c.Dim, c.HiddenDim, c.NHeads, c.NKvHeads, c.NLayers, c.VocabSize),
            Is.EqualTo((dim, hiddenDim, heads, kvHeads, layers, vocab)));
        Assert.That(c.Family, Is.EqualTo(name.StartsWith("opt") ? ArchitectureFamily.Opt : ArchitectureFamily.Llama));
        if (c.Family == ArchitectureFamily.Opt)
            Assert.That(c.MaxSeqLen, Is.EqualTo(2048));
    }

    // The parameter counts Meta and Hugging Face publish for LLAMA-2: a typo in any dimension would change them.
    [TestCase("llama-2-7b", 6_738_415_616L)]
    [TestCase("llama-2-13b", 13_015_864_320L)]
    [TestCase("llama-2-70b", 68_976_648_192L)]
    public void PublishedLlamaConfigs_GiveThePublishedParameterCounts(string name, long parameters) =>
        Assert.That(ParameterCounter.Dense(Published(name)), Is.EqualTo(parameters));

    [Test]
    public void Llama2_7B_DenseLayer()
    {
        var s = Shapes(Published("llama-2-7b"));
        Assert.That(s.Keys, Is.EqualTo(new[] { "q", "k", "v", "o", "gate", "up", "down" }), "forward order, no shortcuts");
        Assert.That(s["q"], Is.EqualTo((4096, 4096)));
        Assert.That(s["k"], Is.EqualTo((4096, 4096)));
        Assert.That(s["o"], Is.EqualTo((4096, 4096)));
        Assert.That(s["gate"], Is.EqualTo((11008, 4096)));
        Assert.That(s["up"], Is.EqualTo((11008, 4096)));
        Assert.That(s["down"], Is.EqualTo((4096, 11008)));
    }

    [Test]
    public void Llama2_7B_Sliced25_ShrinksOnlyTheResidualDimension()
    {
        var config = Published("llama-2-7b");
        var widths = SlicingPlanner.ConstantWidths(config, new SlicingOptions { Sparsity = 0.25 });
        Assert.That(widths[0], Is.EqualTo(new LayerWidths(3072, 3072, 3072)), "d = floor(0.75·4096) = 3072");
        Assert.That(widths[^1].Out, Is.EqualTo(4096), "the last layer writes the unsliced head's width");
        var s = Shapes(config, 0.25);
        Assert.That(s["q"], Is.EqualTo((4096, 3072)), "heads untouched, reads d");
        Assert.That(s["v"], Is.EqualTo((4096, 3072)));
        Assert.That(s["o"], Is.EqualTo((3072, 4096)), "writes d");
        Assert.That(s["gate"], Is.EqualTo((11008, 3072)), "MLP width untouched");
        Assert.That(s["down"], Is.EqualTo((3072, 11008)));
        Assert.That(s["attn shortcut"], Is.EqualTo((3072, 3072)));
        Assert.That(s["mlp shortcut"], Is.EqualTo((3072, 3072)));
    }

    [TestCase("llama-2-7b", 0.50, 2048)]
    [TestCase("llama-2-13b", 0.25, 3840)]
    [TestCase("llama-2-13b", 0.50, 2560)]
    [TestCase("llama-2-70b", 0.25, 6144)]
    [TestCase("llama-2-70b", 0.50, 4096)]
    [TestCase("opt-13b", 0.25, 3840)]
    [TestCase("opt-30b", 0.25, 5376)]
    [TestCase("opt-30b", 0.50, 3584)]
    [TestCase("opt-66b", 0.25, 6912)]
    [TestCase("opt-66b", 0.50, 4608)]
    public void SlicedWidths_FollowTheConstantSchedule(string name, double sparsity, int d)
    {
        var s = Shapes(Published(name), sparsity);
        Assert.That(s["q"].In, Is.EqualTo(d));
        Assert.That(s["attn shortcut"], Is.EqualTo((d, d)));
        Assert.That(d % 16, Is.Zero, "every sliced width is tensor-core friendly");
    }

    [Test]
    public void Llama2_70B_GroupedQueryAttention_KeepsKeyValueWidth()
    {
        var dense = Shapes(Published("llama-2-70b"));
        Assert.That(dense["q"], Is.EqualTo((8192, 8192)));
        Assert.That(dense["k"], Is.EqualTo((1024, 8192)), "8 key/value heads of 128");
        Assert.That(dense["gate"], Is.EqualTo((28672, 8192)));
        Assert.That(dense["down"], Is.EqualTo((8192, 28672)));
        Assert.That(Shapes(Published("llama-2-70b"), 0.25)["v"], Is.EqualTo((1024, 6144)));
    }

    [Test]
    public void Opt66B_Layer()
    {
        var s = Shapes(Published("opt-66b"));
        Assert.That(s.Keys, Is.EqualTo(new[] { "q", "k", "v", "out", "fc1", "fc2" }), "no gate in OPT's MLP");
        Assert.That(s["fc1"], Is.EqualTo((36864, 9216)));
        Assert.That(s["fc2"], Is.EqualTo((9216, 36864)));
        Assert.That(s["out"], Is.EqualTo((9216, 9216)));
        var sliced = Shapes(Published("opt-66b"), 0.5);
        Assert.That(sliced["fc1"], Is.EqualTo((36864, 4608)));
        Assert.That(sliced["fc2"], Is.EqualTo((4608, 36864)));
    }

    [Test]
    public void ParallelBlock_HasOneShortcutAndItsMlpReadsTheLayerInput()
    {
        // microsoft/phi-2 config.json, public values (as PlannerTests).
        var json = ConfigJson.Parse("config.json", """
            {"architectures": ["PhiForCausalLM"], "model_type": "phi", "hidden_size": 2560, "intermediate_size": 10240,
             "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 51200,
             "max_position_embeddings": 2048, "partial_rotary_factor": 0.4, "layer_norm_eps": 1e-05,
             "rope_theta": 10000.0, "hidden_act": "gelu_new", "qk_layernorm": false, "tie_word_embeddings": false}
            """);
        var config = ArchitectureRegistry.Resolve(json).ReadConfig(json);
        var gemms = LayerGemms.Of(config, new LayerWidths(2048, 1536, 1536)).ToDictionary(g => g.Name);
        Assert.That(gemms["fc1"].InFeatures, Is.EqualTo(2048), "parallel: the MLP reads the layer input");
        Assert.That(gemms["dense"].OutFeatures, Is.EqualTo(1536), "parallel: attention writes the layer output");
        Assert.That(gemms["attn shortcut"], Is.EqualTo(new LayerGemm(LayerGemmRole.AttentionShortcut, "attn shortcut", 1536, 2048)));
        Assert.That(gemms.ContainsKey("mlp shortcut"), Is.False);
    }

    [Test]
    public void Total_LeavesShortcutsOutUnlessAsked()
    {
        var gemms = LayerGemms.Of(Published("llama-2-7b"), new LayerWidths(3072, 3072, 3072));
        double Time(LayerGemm g) => g.IsShortcut ? 100 : 1;
        Assert.That(LayerGemms.Total(gemms, Time, includeShortcuts: false), Is.EqualTo(7));
        Assert.That(LayerGemms.Total(gemms, Time, includeShortcuts: true), Is.EqualTo(207));
        Assert.That(gemms[0].Flops(2048), Is.EqualTo(2.0 * 2048 * 4096 * 3072));
    }
}
