using System.Text;
using SliceGpt.Runtime.Tests.Support;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Tests.Tokenization;

/// <summary>llama2.c tokenizer files against ids published with the models and the Llama 2 vocabulary.</summary>
public class Llama2cTokenizerTests
{
    private static string Tok512 => SharedPaths.Get("models", "stories260K", "tok512.bin");
    private static string Tok105 => SharedPaths.Get("models", "babyllama-tok105", "tok105.bin");
    private static string TinyStories => SharedPaths.Get("data", "tinystories-valid-sample", "tinystories_val.txt");
    private static string WikiText => SharedPaths.Get("data", "wikitext-2-raw-v1-test", "wikitext-2-raw-v1.test.txt");

    private static readonly Lazy<(TempFolder Folder, Llama2cTokenizer Tokenizer)> Llama2Bin = new(() =>
    {
        // llama2/PROVENANCE.md: llama2.c's tokenizer.bin is a lossless export of this tokenizer.model.
        var folder = new TempFolder();
        File.WriteAllBytes(folder["tokenizer.bin"], SentencePieceExport.ToLlama2cBin(File.ReadAllBytes(SharedPaths.Get("tokenizers", "llama2", "tokenizer.model"))));
        return (folder, Llama2cTokenizer.Load(folder["tokenizer.bin"]));
    });

    [OneTimeTearDown]
    public void DeleteTemporaryFiles()
    {
        if (Llama2Bin.IsValueCreated)
            Llama2Bin.Value.Folder.Dispose();
    }

    [Test]
    public void Tok512_TinyStories_StartsWithThePublishedIds()
    {
        // models/stories260K/PROVENANCE.md, "Tokenizer check".
        var tokenizer = TokenizerLoader.Load(Tok512);
        var ids = tokenizer.Encode(File.ReadAllText(TinyStories), addBos: true);
        Assert.That(ids[..12], Is.EqualTo(new[] { 1, 301, 427, 309, 426, 301, 427, 309, 394, 265, 262, 415 }));
        Assert.That((tokenizer.VocabSize, tokenizer.BosId, tokenizer.EosId, tokenizer.AddsBosByDefault), Is.EqualTo((512, (int?)1, (int?)2, true)));
        Assert.That(((Llama2cTokenizer)tokenizer).HasByteFallback, Is.True);
    }

    [Test]
    public void Tok512_TinyStories_DecodesBackToItself()
    {
        // Byte fallback makes the encoding lossless, and decode drops exactly the dummy-prefix space after BOS.
        var tokenizer = TokenizerLoader.Load(Tok512);
        var text = File.ReadAllText(TinyStories);
        Assert.That(tokenizer.Decode(tokenizer.Encode(text, addBos: true)), Is.EqualTo(text));
    }

    [Test]
    public void HeapMerge_EqualsRunCsQuadraticLoop()
    {
        // The heap + linked list must reproduce run.c's "highest score, leftmost on ties" loop exactly.
        var tok512 = Llama2cTokenizer.Load(Tok512);
        var stories = File.ReadAllText(TinyStories)[..6000];
        Assert.That(tok512.Encode(stories, addBos: false), Is.EqualTo(RunCEncode(tok512, stories)));
        var llama2 = Llama2Bin.Value.Tokenizer;
        var wiki = File.ReadAllText(WikiText)[..4000] + " Hello   world ﬁ① 🦙\t\r\n";
        Assert.That(llama2.Encode(wiki, addBos: false), Is.EqualTo(RunCEncode(llama2, wiki)));
    }

    [Test]
    public void Tok105_HasNoByteFallback_SoNewlineAndUnknownCharactersAreUnk()
    {
        // tok105/PROVENANCE.md: no <0xNN> pieces; "\n" and characters outside the vocabulary are <unk> (0).
        // Ids are line numbers of tok105.vocab, SentencePiece's own listing of the vocabulary.
        var tokenizer = Llama2cTokenizer.Load(Tok105);
        var vocab = File.ReadAllLines(SharedPaths.Get("models", "babyllama-tok105", "tok105.vocab")).Select(l => l.Split('\t')[0]).ToList();
        int Id(string piece) => vocab.IndexOf(piece);
        Assert.That(tokenizer.HasByteFallback, Is.False);
        Assert.That(tokenizer.Encode("a\nb", addBos: false), Is.EqualTo(new[] { Id("▁"), Id("a"), 0, Id("b") }));
        Assert.That(tokenizer.Encode("Hi @ you", addBos: true),
            Is.EqualTo(new[] { 1, Id("▁"), Id("H"), Id("i"), Id("▁"), 0, Id("▁"), Id("y"), Id("o"), Id("u") }));
    }

    [Test]
    public void Tok105_ARunOfUnknownCharacters_IsOneUnk()
    {
        // SentencePiece (which tokenized BabyLlama's training data) fuses consecutive unknown pieces into one:
        // sentencepiece_processor.cc, "Merges continuous run of unknown pieces". A paragraph break is one <unk>.
        var tokenizer = Llama2cTokenizer.Load(Tok105);
        var ids = tokenizer.Encode("a\n\n@b", addBos: false);
        Assert.That(ids, Has.Length.EqualTo(4));
        Assert.That(ids[2], Is.EqualTo(0));
    }

    [Test]
    public void Tok105_PlainText_RoundTrips()
    {
        var tokenizer = TokenizerLoader.Load(Tok105);
        const string text = "Once upon a time, there was a little girl named Lily. She loved to play outside!";
        Assert.That(tokenizer.Decode(tokenizer.Encode(text, addBos: true)), Is.EqualTo(text));
    }

    [Test]
    public void Tok105_ExportOfItsSentencePieceModel_IsTheStoredBin()
    {
        // Checks the test exporter that the Llama 2 tests rely on: PROVENANCE.md says tok105.bin was made from
        // tok105.model with llama2.c's export convention.
        var exported = SentencePieceExport.ToLlama2cBin(File.ReadAllBytes(SharedPaths.Get("models", "babyllama-tok105", "tok105.model")));
        Assert.That(exported, Is.EqualTo(File.ReadAllBytes(Tok105)));
    }

    [Test]
    public void Llama2Bin_EncodesTheExamplesAsRunC()
    {
        // The examples' oracle is run.c encode() on llama2.c's tokenizer.bin (and three other encoders).
        var tokenizer = Llama2Bin.Value.Tokenizer;
        Assert.That(tokenizer.HasByteFallback, Is.True);
        foreach (var (text, ids) in ExamplesOf("llama2"))
            Assert.That(tokenizer.Encode(text, addBos: true), Is.EqualTo(ids), text);
    }

    [Test]
    public void Llama2Bin_WikiText_Gives341469Ids()
    {
        var ids = Llama2Bin.Value.Tokenizer.Encode(File.ReadAllText(WikiText), addBos: true);
        Assert.That(ids, Has.Length.EqualTo(341_469));
    }

    [Test]
    public void Llama2Bin_Decode_FusesByteFallbackIntoUtf8_AndReplacesBrokenSequences()
    {
        var tokenizer = Llama2Bin.Value.Tokenizer;
        // 🦙 is F0 9F A6 99: byte pieces 243 162 169 156 (llama2/examples.json).
        Assert.That(tokenizer.Decode([1, 29871, 243, 162, 169, 156]), Is.EqualTo("🦙"));
        Assert.That(tokenizer.Decode([1, 243, 162]), Is.EqualTo("\uFFFD"));
        Assert.That(tokenizer.Decode([1, 15043, 2]), Is.EqualTo("Hello"));
    }

    internal static IEnumerable<(string Text, int[] Ids)> ExamplesOf(string folder)
    {
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(SharedPaths.Get("tokenizers", folder, "examples.json")));
        return json.RootElement.GetProperty("examples").EnumerateArray()
            .Select(e => (e.GetProperty("text").GetString()!, e.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()))
            .ToList();
    }

    // A transcription of run.c's encode() merge loop (O(n²)), over the loaded pieces and scores, used as
    // the reference on short texts. Initial symbols come from the tokenizer itself with merging disabled.
    private static int[] RunCEncode(Llama2cTokenizer tokenizer, string text)
    {
        var ids = new Dictionary<string, int>();
        for (int id = tokenizer.VocabSize - 1; id >= 0; id--)
            ids[Encoding.Latin1.GetString(tokenizer.Piece(id))] = id;
        var tokens = new List<int>();
        if (text.Length > 0)
            tokens.Add(ids[" "]);
        foreach (var rune in text.EnumerateRunes())
        {
            var utf8 = Encoding.UTF8.GetBytes(rune.ToString());
            if (ids.TryGetValue(Encoding.Latin1.GetString(utf8), out int id))
                tokens.Add(id);
            else
                tokens.AddRange(utf8.Select(b => b + 3));
        }
        while (true)
        {
            float bestScore = float.NegativeInfinity;
            int bestId = -1, bestIndex = -1;
            for (int i = 0; i + 1 < tokens.Count; i++)
            {
                var merged = Encoding.Latin1.GetString([.. tokenizer.Piece(tokens[i]), .. tokenizer.Piece(tokens[i + 1])]);
                if (ids.TryGetValue(merged, out int id) && tokenizer.Score(id) > bestScore)
                    (bestScore, bestId, bestIndex) = (tokenizer.Score(id), id, i);
            }
            if (bestIndex < 0)
                return [.. tokens];
            tokens[bestIndex] = bestId;
            tokens.RemoveAt(bestIndex + 1);
        }
    }
}
