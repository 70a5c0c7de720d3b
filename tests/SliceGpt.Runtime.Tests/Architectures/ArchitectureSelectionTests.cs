using SliceGpt.Runtime.Architectures;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Tests.Support;

namespace SliceGpt.Runtime.Tests.Architectures;

public class ArchitectureSelectionTests
{
    [TestCase("opt-tiny-ts", ArchitectureFamily.Opt)]
    [TestCase("phi-tiny-ts", ArchitectureFamily.Phi)]
    [TestCase("stories260K-hf", ArchitectureFamily.Llama)]
    public void RealFolders_ResolveFromTheirConfig(string folder, ArchitectureFamily family)
    {
        var config = ModelLoader.ReadConfig(SharedPaths.Get("models", folder));
        Assert.That(config.Family, Is.EqualTo(family));
    }

    [Test]
    public void UnsupportedArchitecture_ListsWhatIsSupported()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir["config.json"], """{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"}""");
        var e = Assert.Throws<UnsupportedArchitectureException>(() => ModelLoader.ReadConfig(dir.Path));
        Assert.That(e!.Message, Does.Contain("GPT2LMHeadModel").And.Contain("LlamaForCausalLM").And.Contain("OPTForCausalLM")
            .And.Contain("PhiForCausalLM").And.Contain("Phi3ForCausalLM").And.Contain(dir["config.json"]));
    }

    [Test]
    public void ArchitectureIsNeverInferredFromThePath()
    {
        // A folder named like a Llama model but whose config says OPT is loaded as OPT.
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "llama-2-7b");
        SyntheticCheckpoint.Write(path, new SyntheticSpec("opt"));
        Assert.That(ModelLoader.ReadConfig(path).Family, Is.EqualTo(ArchitectureFamily.Opt));
    }

    [Test]
    public void Opt350mProjections_AreRefusedNamingTheField()
    {
        using var dir = new TempFolder();
        var config = SyntheticCheckpoint.Config(new SyntheticSpec("opt"));
        config["word_embed_proj_dim"] = 8;
        File.WriteAllText(dir["config.json"], System.Text.Json.JsonSerializer.Serialize(config));
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.ReadConfig(dir.Path));
        Assert.That(e!.Field, Is.EqualTo("word_embed_proj_dim"));
        Assert.That(e.Message, Does.Contain("project_in"));
    }

    [Test]
    public void MissingConfigField_NamesFileAndField()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir["config.json"], """{"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_attention_heads": 8}""");
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.ReadConfig(dir.Path));
        Assert.That(e!.File, Is.EqualTo(dir["config.json"]));
        Assert.That(e.Field, Is.EqualTo("intermediate_size"));
    }

    [Test]
    public void TensorShapeDisagreeingWithConfig_NamesTensorExpectedAndFound()
    {
        using var dir = new TempFolder();
        var spec = new SyntheticSpec("llama");
        SyntheticCheckpoint.Write(dir.Path, spec);
        var config = SyntheticCheckpoint.Config(spec);
        config["intermediate_size"] = 30; // the checkpoint's MLP is 24 wide
        File.WriteAllText(dir["config.json"], System.Text.Json.JsonSerializer.Serialize(config));
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load<float>(dir.Path));
        Assert.That(e!.Tensor, Is.EqualTo("model.layers.0.mlp.gate_proj.weight"));
        Assert.That(e.Expected, Does.Contain("[30, 16]"));
        Assert.That(e.Found, Is.EqualTo("[24, 16]"));
    }

    [Test]
    public void MissingHeadOfAnUntiedModel_NamesTheTensor()
    {
        using var dir = new TempFolder();
        var spec = new SyntheticSpec("llama", Tied: true);
        SyntheticCheckpoint.Write(dir.Path, spec);
        var config = SyntheticCheckpoint.Config(spec);
        config["tie_word_embeddings"] = false;
        File.WriteAllText(dir["config.json"], System.Text.Json.JsonSerializer.Serialize(config));
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load<float>(dir.Path));
        Assert.That(e!.Tensor, Is.EqualTo("lm_head.weight"));
    }

    [Test]
    public void RealCheckpointParameterCounts_MatchTheirProvenance()
    {
        // PROVENANCE.md: stories260K 260,032; opt-tiny-ts 265,728 (tied head counted once); phi-tiny-ts 265,600.
        Assert.That(ModelLoader.Load<float>(SharedPaths.Get("models", "stories260K", "stories260K.bin")).ParameterCount, Is.EqualTo(260_032));
        Assert.That(ModelLoader.Load<float>(SharedPaths.Get("models", "opt-tiny-ts")).ParameterCount, Is.EqualTo(265_728));
        Assert.That(ModelLoader.Load<float>(SharedPaths.Get("models", "phi-tiny-ts")).ParameterCount, Is.EqualTo(265_600));
    }
}
