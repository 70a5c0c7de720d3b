using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Tests.Tokenization;

/// <summary>Decoding and special-token handling of the Hugging Face tokenizers.</summary>
public class HuggingFaceDecodeTests
{
    private static ITokenizer Llama => TokenizerExamplesTests.Loaded("llama2", "tokenizer.json");
    private static ITokenizer Gpt2 => TokenizerExamplesTests.Loaded("gpt2", "vocab.json");
    private static ITokenizer Opt => TokenizerExamplesTests.Loaded("opt-125m", "vocab.json");
    private static ITokenizer Phi2 => TokenizerExamplesTests.Loaded("phi-2", "tokenizer.json");

    private const string Mixed = "Emoji 🦙 naïve 漢字\ttab\r\nCRLF  ﬁ① 𝐀 \u00A0end ";

    [Test]
    public void MixedText_RoundTrips_ThroughEveryTokenizer()
    {
        foreach (var tokenizer in new[] { Llama, Gpt2, Opt, Phi2 })
            Assert.That(tokenizer.Decode(tokenizer.Encode(Mixed, tokenizer.AddsBosByDefault)), Is.EqualTo(Mixed));
    }

    [Test]
    public void Llama_ByteFallback_FusesIntoUtf8_AndStripsTheDummyPrefix()
    {
        // llama2/examples.json: "▁"(29871) then 🦙 as <0xF0><0x9F><0xA6><0x99> (243 162 169 156).
        Assert.That(Llama.Decode([1, 29871, 243, 162, 169, 156]), Is.EqualTo("🦙"));
        // An incomplete sequence: Hugging Face's ByteFallback decoder gives one U+FFFD per byte.
        Assert.That(Llama.Decode([1, 243, 162]), Is.EqualTo("\uFFFD\uFFFD"));
        Assert.That(Llama.Encode("漢", addBos: false), Is.Not.Contains(0), "byte fallback, never <unk>");
    }

    [Test]
    public void ByteLevel_ReversesTheByteMap_AndReplacesInvalidUtf8()
    {
        // "ðŁ" (8582) spells the bytes F0 9F, the start of an emoji: alone it is not UTF-8.
        Assert.That(Gpt2.Decode([8582]), Is.EqualTo("\uFFFD"));
        Assert.That(Gpt2.Decode([8582, 99, 247]), Is.EqualTo("🦙"));
        Assert.That(Gpt2.Decode([198, 197]), Is.EqualTo("\n\t")); // "Ċ", "ĉ"
    }

    [Test]
    public void SpecialTokens_AreMatchedInText_AndDroppedByDecode()
    {
        int[] a = Gpt2.Encode("a", false), b = Gpt2.Encode("b", false);
        Assert.That(Gpt2.Encode("a<|endoftext|>b", false), Is.EqualTo(a.Append(50256).Concat(b)));
        Assert.That(Gpt2.Decode([.. a, 50256, .. b]), Is.EqualTo("ab"));
        Assert.That(Opt.Decode([2, 31414, 2]), Is.EqualTo("Hello"));
        Assert.That(Phi2.Decode([15496, 50285, 6894, 50256]), Is.EqualTo("Hello   world"));
    }

    [Test]
    public void Phi2_WhitespaceRuns_AreAddedTokens_LongestFirst()
    {
        // phi-2/PROVENANCE.md: 50286 = 2 spaces, 50285 = 3, 50257 = 31; tabs 50294 = 2 ... 50287 = 9.
        Assert.That(Phi2.Encode(new string(' ', 31), false), Is.EqualTo(new[] { 50257 }));
        Assert.That(Phi2.Encode(new string(' ', 33), false), Is.EqualTo(new[] { 50257, 50286 }));
        Assert.That(Phi2.Encode("\t\t", false), Is.EqualTo(new[] { 50294 }));
        Assert.That(Phi2.Encode(new string('\t', 9), false), Is.EqualTo(new[] { 50287 }));
    }

    [Test]
    public void Encode_IsThreadSafe()
    {
        // The byte-level word cache is shared; concurrent encodes must equal sequential ones.
        var lines = File.ReadAllLines(SharedPaths.Get("data", "tinystories-valid-sample", "tinystories_val.txt"))[..2000];
        var tokenizer = TokenizerLoader.Load(SharedPaths.Get("tokenizers", "phi-2", "tokenizer.json"));
        var parallel = new int[lines.Length][];
        Parallel.For(0, lines.Length, i => parallel[i] = tokenizer.Encode(lines[i], false));
        for (int i = 0; i < lines.Length; i++)
            Assert.That(parallel[i], Is.EqualTo(Gpt2.Encode(lines[i], false)), lines[i]);
    }
}
