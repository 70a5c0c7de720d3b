using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Tests.Support;
using static SliceGpt.Runtime.Tests.Checkpoints.RawSafetensors;

namespace SliceGpt.Runtime.Tests.Checkpoints;

/// <summary>
/// Every way a safetensors file can be malformed gives a <see cref="CheckpointFormatException"/> that names the file,
/// the tensor or field, what was expected and what was found; none crashes or reads outside the file.
/// </summary>
public class SafetensorsValidationTests
{
    private TempFolder _dir = null!;
    private string File => _dir["model.safetensors"];

    [SetUp]
    public void CreateFolder() => _dir = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _dir.Dispose();

    private CheckpointFormatException Fails()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsCheckpoint.Open(_dir.Path).Dispose())!;
        Assert.That(e.Message, Does.Contain(File), "the message names the file");
        return e;
    }

    [Test]
    public void FileShorterThanTheLengthPrefix()
    {
        System.IO.File.WriteAllBytes(File, [1, 2, 3]);
        Assert.That(Fails().Field, Is.EqualTo("header length"));
    }

    [Test]
    public void HeaderLengthBeyondTheFile()
    {
        Write(File, "{}", 0, declaredLength: 4096);
        var e = Fails();
        Assert.That(e.Field, Is.EqualTo("header length"));
        Assert.That(e.Found, Is.EqualTo("4096"));
    }

    [Test]
    public void HeaderLengthAboveTheLimit()
    {
        Write(File, "{}", 0, declaredLength: 1UL << 40);
        Assert.That(Fails().Expected, Does.Contain("at most 100000000"));
    }

    [Test]
    public void HeaderIsNotJson()
    {
        Write(File, "{\"a\": [1, 2", 0);
        Assert.That(Fails().Found, Does.StartWith("invalid JSON"));
    }

    [Test]
    public void HeaderIsNotAnObject()
    {
        Write(File, "[1, 2]", 0);
        Assert.That(Fails().Expected, Is.EqualTo("a JSON object"));
    }

    [Test]
    public void UnknownDtype()
    {
        Write(File, "{" + Entry("w", "[2]", 0, 8, dtype: "F7") + "}", 8);
        var e = Fails();
        Assert.That((e.Tensor, e.Field, e.Found), Is.EqualTo(("w", "dtype", "F7")));
    }

    [Test]
    public void NegativeDimension()
    {
        Write(File, "{" + Entry("w", "[-2]", 0, 8) + "}", 8);
        Assert.That((Fails().Tensor, Fails().Field), Is.EqualTo(("w", "shape")));
    }

    [Test]
    public void OffsetsPastTheEndOfATruncatedFile()
    {
        Write(File, "{" + Entry("w", "[4]", 0, 16) + "}", 10);
        var e = Fails();
        Assert.That((e.Tensor, e.Field), Is.EqualTo(("w", "data_offsets")));
        Assert.That(e.Expected, Does.Contain("10-byte data section"));
    }

    [Test]
    public void ByteLengthDisagreesWithDtypeAndShape()
    {
        Write(File, "{" + Entry("w", "[2, 3]", 0, 20) + "}", 24);
        var e = Fails();
        Assert.That(e.Expected, Does.StartWith("24 bytes"));
        Assert.That(e.Found, Is.EqualTo("20 bytes"));
    }

    [Test]
    public void BeginAfterEnd()
    {
        Write(File, "{" + Entry("w", "[0]", 8, 4) + "}", 8);
        Assert.That(Fails().Found, Is.EqualTo("[8, 4]"));
    }

    [Test]
    public void WrongNumberOfOffsets()
    {
        Write(File, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4);
        Assert.That(Fails().Field, Is.EqualTo("data_offsets"));
    }

    [Test]
    public void DuplicateTensorNames()
    {
        Write(File, "{" + Entry("w", "[1]", 0, 4) + "," + Entry("w", "[1]", 4, 8) + "}", 8);
        var e = Fails();
        Assert.That(e.Tensor, Is.EqualTo("w"));
        Assert.That(e.Expected, Is.EqualTo("unique tensor names"));
    }

    [Test]
    public void OverlappingTensors()
    {
        Write(File, "{" + Entry("a", "[4]", 0, 16) + "," + Entry("b", "[2]", 8, 16) + "}", 16);
        var e = Fails();
        Assert.That(e.Tensor, Is.EqualTo("b"));
        Assert.That(e.Expected, Does.Contain("'a' ends at data offset 16"));
    }

    [Test]
    public void MetadataMustBeStrings()
    {
        Write(File, "{\"__metadata__\":{\"format\":3}}", 0);
        Assert.That(Fails().Field, Is.EqualTo("__metadata__.format"));
    }

    [Test]
    public void NoWeightsInTheFolder()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsCheckpoint.Open(_dir.Path))!;
        Assert.That(e.Message, Does.Contain(_dir.Path).And.Contain("model.safetensors"));
    }

    [Test]
    public void ReadingAnIntegerTensorAsWeights_IsRefused()
    {
        Write(File, "{" + Entry("ids", "[2]", 0, 16, dtype: "I64") + "}", 16);
        using var checkpoint = SafetensorsCheckpoint.Open(_dir.Path);
        var e = Assert.Throws<CheckpointFormatException>(() => checkpoint.Read("ids", new float[2]))!;
        Assert.That((e.Tensor, e.Field, e.Found), Is.EqualTo(("ids", "dtype", "I64")));
    }

    [Test]
    public void ReadingIntoAWronglySizedBuffer_IsRefused()
    {
        Write(File, "{" + Entry("w", "[2, 2]", 0, 16) + "}", 16);
        using var checkpoint = SafetensorsCheckpoint.Open(_dir.Path);
        var e = Assert.Throws<CheckpointFormatException>(() => checkpoint.Read("w", new double[3]))!;
        Assert.That(e.Found, Does.Contain("[2, 2]"));
    }

    [Test]
    public void AValidHandWrittenFile_Opens()
    {
        Write(File, "{\"__metadata__\":{\"format\":\"pt\"}," + Entry("a", "[2]", 0, 8) + "," + Entry("b", "[]", 8, 12) + "}", 12);
        using var checkpoint = SafetensorsCheckpoint.Open(_dir.Path);
        Assert.That(checkpoint.Names, Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(checkpoint.Metadata["format"], Is.EqualTo("pt"));
        Assert.That(checkpoint.TryGetInfo("b", out var scalar) && scalar.ElementCount == 1);
    }
}
