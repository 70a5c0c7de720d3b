using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Tests.Support;

namespace SliceGpt.Runtime.Tests.Checkpoints;

public class Llama2cCheckpointTests
{
    private static string Stories => SharedPaths.Get("models", "stories260K", "stories260K.bin");

    [Test]
    public void Stories260K_HeaderMatchesItsProvenance()
    {
        using var checkpoint = Llama2cCheckpoint.Open(Stories);
        Assert.That(checkpoint.Header, Is.EqualTo(new Llama2cHeader(64, 172, 5, 8, 4, 512, 512, SharedClassifier: true)));
        Assert.That(checkpoint.TryGetInfo("lm_head.weight", out _), Is.False, "shared classifier: no separate head");
        Assert.That(checkpoint.TryGetInfo("model.layers.4.mlp.up_proj.weight", out var w3) && w3.ShapeText == "[172, 64]");
    }

    [Test]
    public void FirstEmbeddingValue_IsReadFromOffset28()
    {
        using var checkpoint = Llama2cCheckpoint.Open(Stories);
        var embedding = new float[512 * 64];
        checkpoint.Read("model.embed_tokens.weight", embedding);
        var raw = File.ReadAllBytes(Stories);
        Assert.That(embedding[0], Is.EqualTo(BitConverter.ToSingle(raw, 28)));
        Assert.That(embedding[^1], Is.EqualTo(BitConverter.ToSingle(raw, 28 + 4 * (512 * 64 - 1))));
    }

    [Test]
    public void TruncatedFile_NamesTheExpectedAndActualSize()
    {
        using var dir = new TempFolder();
        var bytes = File.ReadAllBytes(Stories);
        File.WriteAllBytes(dir["cut.bin"], bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<CheckpointFormatException>(() => Llama2cCheckpoint.Open(dir["cut.bin"]))!;
        Assert.That(e.File, Is.EqualTo(dir["cut.bin"]));
        Assert.That(e.Expected, Does.StartWith("1056540 bytes"));
        Assert.That(e.Found, Is.EqualTo("1056440 bytes (truncated)"));
    }

    [Test]
    public void InconsistentHeader_NamesTheField()
    {
        using var dir = new TempFolder();
        var bytes = File.ReadAllBytes(Stories);
        BitConverter.GetBytes(3).CopyTo(bytes, 16); // n_kv_heads 3 does not divide n_heads 8
        File.WriteAllBytes(dir["bad.bin"], bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => Llama2cCheckpoint.Open(dir["bad.bin"]))!;
        Assert.That(e.Field, Is.EqualTo("n_kv_heads"));
    }

    [Test]
    public void VersionedExport_IsRefusedClearly()
    {
        using var dir = new TempFolder();
        var bytes = new byte[256];
        BitConverter.GetBytes(0x616b3432u).CopyTo(bytes, 0);
        BitConverter.GetBytes(2).CopyTo(bytes, 4);
        File.WriteAllBytes(dir["v2.bin"], bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => Llama2cCheckpoint.Open(dir["v2.bin"]))!;
        Assert.That(e.Found, Does.Contain("version 2"));
    }

    [Test]
    public void ATokenizerFile_IsNotMistakenForAModel()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => Llama2cCheckpoint.Open(SharedPaths.Get("models", "stories260K", "tok512.bin")))!;
        Assert.That(e.File, Does.EndWith("tok512.bin"));
    }

    [Test]
    public void SeparateClassifier_IsReadAfterTheRopeTables()
    {
        // stories260K with its classifier written out: vocab_size negated and the embedding appended as wcls. The model
        // must load with an untied head holding exactly those values, and compute the same logits.
        using var dir = new TempFolder();
        var bytes = File.ReadAllBytes(Stories);
        BitConverter.GetBytes(-512).CopyTo(bytes, 20);
        var embedding = bytes.AsSpan(28, 4 * 512 * 64).ToArray();
        File.WriteAllBytes(dir["separate.bin"], [.. bytes, .. embedding]);
        using (var checkpoint = Llama2cCheckpoint.Open(dir["separate.bin"]))
            Assert.That(checkpoint.Header.SharedClassifier, Is.False);
        var separate = SliceGpt.Runtime.Architectures.ModelLoader.Load<float>(dir["separate.bin"]);
        var shared = SliceGpt.Runtime.Architectures.ModelLoader.Load<float>(Stories);
        Assert.That(separate.HeadTiedToEmbedding, Is.False);
        Assert.That(separate.ParameterCount, Is.EqualTo(shared.ParameterCount + 512 * 64));
        int[] tokens = [1, 400, 32, 7];
        Assert.That(Inference.FamilyForwardTests.RunLogits(separate, tokens), Is.EqualTo(Inference.FamilyForwardTests.RunLogits(shared, tokens)));
    }
}
