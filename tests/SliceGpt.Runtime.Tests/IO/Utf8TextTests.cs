using System.Text;
using SliceGpt.Runtime.IO;
using SliceGpt.Runtime.Tests.Support;

namespace SliceGpt.Runtime.Tests.IO;

public class Utf8TextTests
{
    [Test]
    public void ValidText_WithOrWithoutByteOrderMark_ReadsAsIs()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir["a.txt"], [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("café 🐍\n")]);
        File.WriteAllText(dir["b.txt"], "café 🐍\n");
        Assert.That(Utf8Text.Read(dir["a.txt"]), Is.EqualTo("café 🐍\n"));
        Assert.That(Utf8Text.Read(dir["b.txt"]), Is.EqualTo("café 🐍\n"));
    }

    [TestCase(new byte[] { 0x61, 0x62, 0xE9, 0x63 }, 2, TestName = "Latin-1 é")]
    [TestCase(new byte[] { 0xEF, 0xBB, 0xBF, 0x61, 0xFF }, 4, TestName = "after a byte order mark, offsets count it")]
    [TestCase(new byte[] { 0x61, 0xC0, 0xAF }, 1, TestName = "overlong encoding")]
    [TestCase(new byte[] { 0x61, 0xED, 0xA0, 0x80 }, 1, TestName = "UTF-16 surrogate")]
    [TestCase(new byte[] { 0x61, 0x62, 0xF0, 0x9F, 0x90 }, 2, TestName = "truncated at the end")]
    public void InvalidUtf8_NamesTheFileAndTheByteOffset(byte[] bytes, int offset)
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir["bad.txt"], bytes);
        var e = Assert.Throws<InputValidationException>(() => Utf8Text.Read(dir["bad.txt"]))!;
        Assert.That((e.Path, e.Field), Is.EqualTo((dir["bad.txt"], $"byte offset {offset}")));
        Assert.That(e.Message, Does.StartWith($"{dir["bad.txt"]}: byte offset {offset}: not valid UTF-8"));
        Assert.That(Utf8Text.IndexOfInvalid(bytes), Is.EqualTo(offset));
    }

    [Test]
    public void MissingFileAndFolder_AreTypedInputErrors()
    {
        using var dir = new TempFolder();
        Assert.That(Assert.Throws<InputValidationException>(() => Utf8Text.Read(dir["none.txt"]))!.Problem, Is.EqualTo("no such file"));
        Assert.That(Assert.Throws<InputValidationException>(() => Utf8Text.Read(dir.Path))!.Problem, Does.Contain("folder"));
    }
}
