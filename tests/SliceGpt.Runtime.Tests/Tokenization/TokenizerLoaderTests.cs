using SliceGpt.Runtime.IO;
using SliceGpt.Runtime.Tests.Support;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Tests.Tokenization;

/// <summary>Choosing the tokenizer kind from content, and clear errors for files that cannot be used.</summary>
public class TokenizerLoaderTests
{
    private static string Tokenizers(params string[] parts) => SharedPaths.Get(["tokenizers", .. parts]);

    [Test]
    public void Folders_PreferTokenizerJson_ThenVocabJsonWithMerges()
    {
        Assert.That(TokenizerLoader.Load(Tokenizers("phi-2")), Is.InstanceOf<HuggingFaceTokenizer>());
        var opt = TokenizerLoader.Load(Tokenizers("opt-125m"));
        Assert.That((opt.BosId, opt.AddsBosByDefault), Is.EqualTo(((int?)2, true)));
    }

    [Test]
    public void TheKind_ComesFromContent_NotFromTheName()
    {
        using var temp = new TempFolder();
        File.Copy(Tokenizers("phi-2", "tokenizer.json"), temp["phi.data"]);
        File.Copy(SharedPaths.Get("models", "stories260K", "tok512.bin"), temp["tokenizer"]);
        Directory.CreateDirectory(temp["llama-named-folder"]);
        File.Copy(Tokenizers("gpt2", "vocab.json"), Path.Combine(temp["llama-named-folder"], "vocab.json"));
        File.Copy(Tokenizers("gpt2", "merges.txt"), Path.Combine(temp["llama-named-folder"], "merges.txt"));

        Assert.That(TokenizerLoader.Load(temp["phi.data"]).Encode("Hello world", false), Is.EqualTo(new[] { 15496, 995 }));
        Assert.That(TokenizerLoader.Load(temp["tokenizer"]), Is.InstanceOf<Llama2cTokenizer>());
        var gpt2 = TokenizerLoader.Load(temp["llama-named-folder"]);
        Assert.That((gpt2.AddsBosByDefault, gpt2.Encode("Hello world", false)), Is.EqualTo((false, new[] { 15496, 995 })));
    }

    [Test]
    public void TruncatedBin_NamesTheFile()
    {
        using var temp = new TempFolder();
        var bytes = File.ReadAllBytes(SharedPaths.Get("models", "stories260K", "tok512.bin"));
        File.WriteAllBytes(temp["tok512.bin"], bytes[..^3]);
        AssertFormatError(temp["tok512.bin"], "truncated");
    }

    [Test]
    public void ModelCheckpointGivenAsTokenizer_IsRefused()
    {
        AssertFormatError(SharedPaths.Get("models", "stories260K", "stories260K.bin"), "llama2.c tokenizer");
    }

    [TestCase("WordPiece")]
    [TestCase("Unigram")]
    public void NonBpeModelType_NamesTheFileAndTheType(string type)
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["tokenizer.json"], """{"model": {"type": "TYPE", "vocab": {"[UNK]": 0}}}""".Replace("TYPE", type));
        AssertFormatError(temp["tokenizer.json"], $"model.type is \"{type}\"");
    }

    [Test]
    public void BadJson_NamesTheFile()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["tokenizer.json"], """{"model": {"type": "BPE", """);
        AssertFormatError(temp["tokenizer.json"], "not valid JSON");
    }

    [Test]
    public void FieldOfTheWrongShape_IsAFormatError()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["tokenizer.json"], """
            {"added_tokens": [{"id": "zero", "content": "a"}], "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}
            """);
        AssertFormatError(temp["tokenizer.json"], "added_tokens entry has id \"zero\"");
    }

    [Test]
    public void VocabJsonWithoutMerges_NamesTheFileAndMergesTxt()
    {
        using var temp = new TempFolder();
        File.Copy(Tokenizers("gpt2", "vocab.json"), temp["vocab.json"]);
        AssertFormatError(temp["vocab.json"], "merges.txt");
        AssertFormatError(temp.Path, "merges.txt", namedFile: temp["vocab.json"]);
    }

    [Test]
    public void MergeOfUnknownTokens_NamesTheMerge()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["tokenizer.json"], """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}""");
        AssertFormatError(temp["tokenizer.json"], "merge #0 \"a b\": the result \"ab\" is not in the vocabulary");
    }

    [Test]
    public void UnsupportedPreTokenizer_IsRefusedNotIgnored()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["tokenizer.json"], """
            {"pre_tokenizer": {"type": "Whitespace"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}
            """);
        AssertFormatError(temp["tokenizer.json"], "pre_tokenizer type \"Whitespace\"");
    }

    [Test]
    public void FolderWithoutTokenizer_And_MergesTxtAlone_AreExplained()
    {
        using var temp = new TempFolder();
        AssertFormatError(temp.Path, "neither tokenizer.json nor vocab.json");
        AssertFormatError(Tokenizers("gpt2", "merges.txt"), "merges.txt");
    }

    [Test]
    public void MissingPath_IsATypedInputError()
    {
        var missing = Path.Combine(SharedPaths.Shared, "no-such-tokenizer.bin");
        var e = Assert.Throws<InputValidationException>(() => TokenizerLoader.Load(missing))!;
        Assert.That(e.Path, Is.EqualTo(missing));
    }

    [Test]
    public void RequireFits_AcceptsTheModelsOwnTokenizer_AndRefusesALargerVocabulary()
    {
        var stories = TokenizerLoader.Load(SharedPaths.Get("models", "stories260K", "tok512.bin"));
        Assert.DoesNotThrow(() => TokenizerLoader.RequireFits(stories, "tok512.bin", 512, "stories260K"));
        var llama = TokenizerLoader.Load(Tokenizers("llama2", "tokenizer.json"));
        Assert.DoesNotThrow(() => TokenizerLoader.RequireFits(llama, "tokenizer.json", 32000, "llama-2"));
        var e = Assert.Throws<InputValidationException>(() => TokenizerLoader.RequireFits(llama, "tokenizer.json", 512, "stories260K"))!;
        Assert.That((e.Path, e.Field), Is.EqualTo(("tokenizer.json", "vocabulary")));
        Assert.That(e.Message, Does.Contain("32000").And.Contain("512").And.Contain("stories260K"));
    }

    private static void AssertFormatError(string path, string expected, string? namedFile = null)
    {
        namedFile ??= path;
        var error = Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(path))!;
        Assert.That(error.File, Is.EqualTo(namedFile));
        Assert.That(error.Message, Does.StartWith(namedFile + ": ").And.Contain(expected));
    }
}
