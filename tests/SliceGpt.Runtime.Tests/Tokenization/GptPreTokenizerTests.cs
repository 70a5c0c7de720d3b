using System.Text.RegularExpressions;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Tests.Tokenization;

/// <summary>The GPT-2 pre-tokenizer scanner against GPT-2's regular expression.</summary>
public class GptPreTokenizerTests
{
    // GPT-2's pattern, as published in its encoder.py (and ../shared/tokenizers/gpt2/PROVENANCE.md).
    private static readonly Regex Gpt2Pattern = new(
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.Compiled);

    private static List<string> RegexSplit(string text) => Gpt2Pattern.Matches(text).Select(m => m.Value).ToList();

    [Test]
    public void Scanner_AgreesWithTheRegex_OnRealText()
    {
        // Both files are Basic Multilingual Plane only (no surrogate pairs), where .NET's regex is exact.
        foreach (var file in new[]
        {
            SharedPaths.Get("data", "wikitext-2-raw-v1-test", "wikitext-2-raw-v1.test.txt"),
            SharedPaths.Get("data", "tinystories-valid-sample", "tinystories_val.txt"),
        })
        {
            var text = File.ReadAllText(file);
            Assert.That(GptPreTokenizer.Split(text), Is.EqualTo(RegexSplit(text)), file);
        }
    }

    [TestCase("don't DON'T you're I'll we've 'm 'd 's")]
    [TestCase("Hello   world  \n\n  end   ")]
    [TestCase(" = Robert Boulter = \n")]
    [TestCase("x \u00A0y\u00A0\u00A0z \u3000w\u2028v")]
    [TestCase("tabs\t\tand\r\nCRLF 123 4.5e6 ①½ ﬁ ——!! ??")]
    [TestCase("'''s ''t '' ' ")]
    [TestCase("\u0085\u001c\u001fcontrol\u0000chars")]
    public void Scanner_AgreesWithTheRegex_OnEdgeCases(string text)
    {
        // Contractions are lowercase only; "\s+(?!\S)" leaves the last space for the next word; U+00A0,
        // U+3000, U+2028 and U+0085 are whitespace (Unicode White_Space, as Python and Oniguruma), U+001C..1F not.
        Assert.That(GptPreTokenizer.Split(text), Is.EqualTo(RegexSplit(text)));
    }

    [Test]
    public void NoBreakSpace_IsWhitespace()
    {
        // U+00A0 is \s in Python's re/regex, Oniguruma and JavaScript alike, so " \u00A0y" is " ", "\u00A0", "y"
        // (were it not whitespace, " \u00A0" would be one symbol run).
        Assert.That(GptPreTokenizer.Split("x \u00A0y"), Is.EqualTo(new[] { "x", " ", "\u00A0", "y" }));
        var gpt2 = TokenizerExamplesTests.Loaded("gpt2", "vocab.json");
        Assert.That(gpt2.Encode("x \u00A0y", addBos: false),
            Is.EqualTo(new[] { "x", " ", "\u00A0", "y" }.SelectMany(w => gpt2.Encode(w, addBos: false))));
    }

    [Test]
    public void LettersOutsideTheBmp_StayInTheirWord()
    {
        // 𝐀 (U+1D400) is a letter; .NET's regex sees its two surrogates (category Cs) and splits the word,
        // where Python, Oniguruma (Hugging Face) and tiktoken keep "a𝐀b" whole. The scanner works per code point.
        Assert.That(GptPreTokenizer.Split("a𝐀b 𝟙𝟚"), Is.EqualTo(new[] { "a𝐀b", " 𝟙𝟚" }));
        Assert.That(RegexSplit("a𝐀b"), Is.Not.EqualTo(new[] { "a𝐀b" }), "the regex limitation this scanner avoids");
    }
}
