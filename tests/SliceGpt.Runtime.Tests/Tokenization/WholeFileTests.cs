using System.Diagnostics;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Tests.Tokenization;

/// <summary>
/// The whole WikiText-2 test file encoded once with each model's BOS convention, as SliceGPT's perplexity
/// protocol does. The counts are from ../shared/tokenizers/README.md, where independent encoders agree.
/// </summary>
public class WholeFileTests
{
    // Generous bound for a 2-core CI machine: the encoders take well under a second each on this file;
    // a regression to run.c's quadratic merge loop would take minutes.
    private const double MaxSeconds = 10;

    private static string WikiText => SharedPaths.Get("data", "wikitext-2-raw-v1-test", "wikitext-2-raw-v1.test.txt");

    [TestCase("llama2", "tokenizer.json", 341_469)]
    [TestCase("opt-125m", "vocab.json", 287_645)]
    [TestCase("gpt2", "vocab.json", 287_644)]
    [TestCase("phi-2", "tokenizer.json", 287_644)]
    public void WikiText_EncodesToThePublishedCount(string folder, string file, int count)
    {
        var tokenizer = TokenizerExamplesTests.Loaded(folder, file);
        var text = File.ReadAllText(WikiText);
        var clock = Stopwatch.StartNew();
        var ids = tokenizer.Encode(text, tokenizer.AddsBosByDefault);
        clock.Stop();
        TestContext.Out.WriteLine($"{folder}: {ids.Length} ids in {clock.Elapsed.TotalSeconds:F2} s");
        Assert.That(ids, Has.Length.EqualTo(count));
        Assert.That(clock.Elapsed.TotalSeconds, Is.LessThan(MaxSeconds));
    }

    [TestCase("gpt2", "vocab.json")]
    [TestCase("opt-125m", "vocab.json")]
    [TestCase("phi-2", "tokenizer.json")]
    [TestCase("llama2", "tokenizer.json")]
    public void WikiText_DecodesBackToItself(string folder, string file)
    {
        // Byte-level BPE is lossless; Llama's byte fallback is too, and its decoder strips only the
        // dummy-prefix space its encoder added.
        var tokenizer = TokenizerExamplesTests.Loaded(folder, file);
        var text = File.ReadAllText(WikiText);
        Assert.That(tokenizer.Decode(tokenizer.Encode(text, tokenizer.AddsBosByDefault)), Is.EqualTo(text));
    }
}
