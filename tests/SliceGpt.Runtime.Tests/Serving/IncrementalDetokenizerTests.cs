using SliceGpt.Runtime.Serving;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Tests.Serving;

/// <summary>
/// Text deltas on the real Llama 2 (SentencePiece with byte fallback, leading-space handling) and GPT-2 (byte-level)
/// tokenizers, token by token: the deltas concatenate to the whole decode of the continuation, never contain a broken
/// character, and keep the spaces that decoding tokens one at a time would drop.
/// </summary>
public class IncrementalDetokenizerTests
{
    private const string Prompt = "The answer is";
    private const string Continuation = " héllo wörld, 世界 🙂 and ﬁne\n\ttabs  double  spaces — done.";

    [TestCase("llama2", "tokenizer.json")]
    [TestCase("gpt2", "vocab.json")]
    [TestCase("phi-2", "tokenizer.json")]
    public void Deltas_ConcatenateToTheWholeDecode_WithoutBrokenCharacters(string folder, string file)
    {
        var tokenizer = TokenizerLoader.Load(SharedPaths.Get("tokenizers", folder, file));
        var prompt = tokenizer.Encode(Prompt, tokenizer.AddsBosByDefault);
        var all = tokenizer.Encode(Prompt + Continuation, tokenizer.AddsBosByDefault);
        Assert.That(all[..prompt.Length], Is.EqualTo(prompt), "the prompt's tokens do not merge with the continuation's here");
        var output = all[prompt.Length..];
        var detokenizer = new IncrementalDetokenizer(tokenizer, prompt, []);
        var deltas = new List<string>();
        foreach (int token in output)
            deltas.Add(detokenizer.Add(token).Text);
        deltas.Add(detokenizer.Finish().Text);
        string expected = tokenizer.Decode(all)[tokenizer.Decode(prompt).Length..];
        Assert.That(string.Concat(deltas), Is.EqualTo(expected));
        Assert.That(expected, Is.EqualTo(Continuation), "the tokenizer round-trips the text");
        Assert.That(deltas, Has.None.Contains('\uFFFD'), "no delta ends inside a multi-byte character");
        Assert.That(deltas.Count(d => d.Length > 0), Is.GreaterThan(output.Length / 2), "text flows token by token, not at the end");
    }

    [Test]
    public void AStopString_SplitAcrossTokens_IsHeldBackAndCut()
    {
        var tokenizer = TokenizerLoader.Load(SharedPaths.Get("tokenizers", "gpt2", "vocab.json"));
        var prompt = tokenizer.Encode("Q:", false);
        var output = tokenizer.Encode(" one two\nQ: three", false);
        var detokenizer = new IncrementalDetokenizer(tokenizer, prompt, ["\nQ:"]);
        var released = "";
        bool stopped = false;
        foreach (int token in output)
        {
            var (text, hit) = detokenizer.Add(token);
            released += text;
            Assert.That(released, Does.Not.Contain("\n"), "the start of the stop string is never released");
            if (hit)
            {
                stopped = true;
                break;
            }
        }
        Assert.That(stopped, Is.True);
        Assert.That(released, Is.EqualTo(" one two"));
    }

    [Test]
    public void HeldBackText_ThatIsNotAStop_IsReleasedAtTheEnd()
    {
        var tokenizer = TokenizerLoader.Load(SharedPaths.Get("tokenizers", "gpt2", "vocab.json"));
        var detokenizer = new IncrementalDetokenizer(tokenizer, tokenizer.Encode("x", false), ["ENDING"]);
        var released = string.Concat(tokenizer.Encode(" the END", false).Select(t => detokenizer.Add(t).Text));
        Assert.That(released, Is.EqualTo(" the "), "\"END\" may begin \"ENDING\"");
        Assert.That(released + detokenizer.Finish().Text, Is.EqualTo(" the END"));
    }
}
