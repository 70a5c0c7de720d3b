using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Tests.Support;

namespace SliceGpt.Runtime.Tests.Checkpoints;

/// <summary>Sharded checkpoints: model.safetensors.index.json's weight_map must agree with the shards.</summary>
public class ShardedCheckpointTests
{
    private static void Shard(TempFolder dir, string file, params (string Name, float[] Values)[] tensors)
    {
        var writer = new SafetensorsWriter();
        foreach (var (name, values) in tensors)
            writer.AddFloat32(name, [values.Length], values);
        writer.Write(dir[file]);
    }

    private static void Index(TempFolder dir, string weightMap) =>
        File.WriteAllText(dir[SafetensorsCheckpoint.IndexFileName], $"{{\"metadata\":{{}},\"weight_map\":{{{weightMap}}}}}");

    [Test]
    public void TensorsOfEveryShard_AreReadable()
    {
        using var dir = new TempFolder();
        Shard(dir, "s1.safetensors", ("a", [1, 2]));
        Shard(dir, "s2.safetensors", ("b", [3]));
        Index(dir, "\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"");
        using var checkpoint = SafetensorsCheckpoint.Open(dir.Path);
        var b = new double[1];
        checkpoint.Read("b", b);
        Assert.That(b[0], Is.EqualTo(3));
        Assert.That(checkpoint.Names, Is.EquivalentTo(new[] { "a", "b" }));
    }

    [Test]
    public void MissingShard_NamesTheIndexAndTheShard()
    {
        using var dir = new TempFolder();
        Shard(dir, "s1.safetensors", ("a", [1]));
        Index(dir, "\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"");
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsCheckpoint.Open(dir.Path))!;
        Assert.That(e.File, Is.EqualTo(dir[SafetensorsCheckpoint.IndexFileName]));
        Assert.That(e.Expected, Does.Contain("s2.safetensors"));
    }

    [Test]
    public void TensorInTwoShards_IsADuplicate()
    {
        using var dir = new TempFolder();
        Shard(dir, "s1.safetensors", ("a", [1]));
        Shard(dir, "s2.safetensors", ("a", [2]), ("b", [3]));
        Index(dir, "\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"");
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsCheckpoint.Open(dir.Path))!;
        Assert.That(e.Tensor, Is.EqualTo("a"));
        Assert.That(e.Expected, Is.EqualTo("each tensor in one shard only"));
    }

    [Test]
    public void WeightMapNamingATensorNoShardHolds_IsRefused()
    {
        using var dir = new TempFolder();
        Shard(dir, "s1.safetensors", ("a", [1]));
        Index(dir, "\"a\":\"s1.safetensors\",\"ghost\":\"s1.safetensors\"");
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsCheckpoint.Open(dir.Path))!;
        Assert.That(e.Tensor, Is.EqualTo("ghost"));
    }

    [Test]
    public void ShardPathLeavingTheFolder_IsRefused()
    {
        using var dir = new TempFolder();
        Index(dir, "\"a\":\"../elsewhere.safetensors\"");
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsCheckpoint.Open(dir.Path))!;
        Assert.That(e.Field, Is.EqualTo("weight_map"));
    }
}
