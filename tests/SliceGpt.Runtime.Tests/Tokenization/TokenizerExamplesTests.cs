using System.Text.Json;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Tests.Tokenization;

/// <summary>
/// Every example in ../shared/tokenizers/*/examples.json: ids that independent encoders (sentencepiece,
/// llama2.c, tiktoken, gpt-3-encoder, transformers.js) agree on, each with its model's BOS convention.
/// </summary>
public class TokenizerExamplesTests
{
    /// <summary>(folder, file to load, whether the family prepends BOS as its examples' "convention" says).</summary>
    private static readonly (string Folder, string File, bool AddsBos)[] Tokenizers =
    [
        ("llama2", "tokenizer.json", true), // "BOS 1 prepended"
        ("gpt2", "vocab.json", false), // "no BOS/EOS"
        ("opt-125m", "vocab.json", true), // "'</s>' (id 2) prepended as BOS"
        ("phi-2", "tokenizer.json", false), // "no BOS/EOS"
    ];

    public static IEnumerable<TestCaseData> Examples()
    {
        foreach (var (folder, file, addsBos) in Tokenizers)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(SharedPaths.Get("tokenizers", folder, "examples.json")));
            int index = 0;
            foreach (var example in json.RootElement.GetProperty("examples").EnumerateArray())
            {
                var text = example.GetProperty("text").GetString()!;
                var ids = example.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                // llama2 calls the token strings "pieces", the others "tokens".
                var tokens = (example.TryGetProperty("tokens", out var t) ? t : example.GetProperty("pieces")).EnumerateArray().Select(e => e.GetString()!).ToArray();
                yield return new TestCaseData(folder, file, addsBos, text, ids, tokens).SetName($"Example_{folder}_{index++}");
            }
        }
    }

    [TestCaseSource(nameof(Examples))]
    public void Encode_GivesTheIndependentlyAgreedIds(string folder, string file, bool addsBos, string text, int[] ids, string[] tokens)
    {
        var tokenizer = Loaded(folder, file);
        Assert.That(tokenizer.AddsBosByDefault, Is.EqualTo(addsBos));
        Assert.That(tokenizer.Encode(text, tokenizer.AddsBosByDefault), Is.EqualTo(ids));
        Assert.That(ids.Select(((HuggingFaceTokenizer)tokenizer).Token), Is.EqualTo(tokens));
    }

    [TestCaseSource(nameof(Examples))]
    public void Decode_OfTheExampleIds_GivesTheText(string folder, string file, bool addsBos, string text, int[] ids, string[] tokens)
    {
        // Every example is plain valid text, and all four decoders are lossless on such text
        // (Llama's Strip drops only the dummy-prefix space its encoder added).
        Assert.That(Loaded(folder, file).Decode(ids), Is.EqualTo(text));
    }

    [Test]
    public void SpecialIds_FollowEachFamilysConvention()
    {
        Assert.Multiple(() =>
        {
            var llama = Loaded("llama2", "tokenizer.json");
            Assert.That((llama.BosId, llama.EosId, llama.VocabSize), Is.EqualTo(((int?)1, (int?)2, 32000)));
            var gpt2 = Loaded("gpt2", "vocab.json");
            Assert.That((gpt2.BosId, gpt2.EosId, gpt2.VocabSize), Is.EqualTo(((int?)50256, (int?)50256, 50257)));
            var opt = Loaded("opt-125m", "vocab.json");
            Assert.That((opt.BosId, opt.EosId, opt.VocabSize), Is.EqualTo(((int?)2, (int?)2, 50265)));
            var phi2 = Loaded("phi-2", "tokenizer.json");
            Assert.That((phi2.BosId, phi2.EosId, phi2.VocabSize), Is.EqualTo(((int?)50256, (int?)50256, 50295)));
        });
    }

    [Test]
    public void EmptyText_GivesOnlyTheBosOfFamiliesThatAddOne()
    {
        // llama2/PROVENANCE.md: "" → [1]; opt-125m/PROVENANCE.md: "" → [2]; GPT-2 and Phi-2 add nothing.
        Assert.That(Loaded("llama2", "tokenizer.json").Encode("", addBos: true), Is.EqualTo(new[] { 1 }));
        Assert.That(Loaded("opt-125m", "vocab.json").Encode("", addBos: true), Is.EqualTo(new[] { 2 }));
        Assert.That(Loaded("gpt2", "vocab.json").Encode("", addBos: false), Is.Empty);
        Assert.That(Loaded("phi-2", "tokenizer.json").Encode("", addBos: false), Is.Empty);
    }

    internal static ITokenizer Loaded(string folder, string file) => Cache.GetOrAdd(
        (folder, file), key => TokenizerLoader.Load(SharedPaths.Get("tokenizers", key.Folder, key.File)));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Folder, string File), ITokenizer> Cache = new();
}
