using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Tests.Tokenization;

/// <summary>llama2.c tokenizer files against ids published with the models.</summary>
public class Llama2cTokenizerTests
{
    private static string Tok512 => SharedPaths.Get("models", "stories260K", "tok512.bin");
    private static string Tok105 => SharedPaths.Get("models", "babyllama-tok105", "tok105.bin");
    private static string TinyStories => SharedPaths.Get("data", "tinystories-valid-sample", "tinystories_val.txt");

    [Test]
    public void Tok512_TinyStories_StartsWithThePublishedIds()
    {
        // models/stories260K/PROVENANCE.md, "Tokenizer check".
        var tokenizer = Llama2cTokenizer.Load(Tok512);
        var ids = tokenizer.Encode(File.ReadAllText(TinyStories), addBos: true);
        Assert.That(ids[..12], Is.EqualTo(new[] { 1, 301, 427, 309, 426, 301, 427, 309, 394, 265, 262, 415 }));
    }
}
