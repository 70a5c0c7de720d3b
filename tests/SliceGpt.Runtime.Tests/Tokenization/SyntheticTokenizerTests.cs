using SliceGpt.Runtime.Tests.Support;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Tests.Tokenization;

/// <summary>Tiny tokenizers written in code, for rules the real files do not isolate.</summary>
public class SyntheticTokenizerTests
{
    [Test]
    public void Llama2c_EqualScores_MergeTheLeftmostPairFirst()
    {
        // "ab" and "ba" score the same: run.c's strict ">" keeps the first (leftmost) best pair.
        using var temp = new TempFolder();
        WriteLlama2cBin(temp["tiny.bin"], ("<unk>", 0), ("\n<s>\n", 0), ("\n</s>\n", 0), (" ", -1), ("a", -2), ("b", -3), ("ab", -5), ("ba", -5));
        var tokenizer = Llama2cTokenizer.Load(temp["tiny.bin"]);
        Assert.That(tokenizer.HasByteFallback, Is.False);
        Assert.That(tokenizer.Encode("aba", addBos: false), Is.EqualTo(new[] { 3, 6, 4 }));
        Assert.That(tokenizer.Encode("bab", addBos: true), Is.EqualTo(new[] { 1, 3, 7, 5 }));
        Assert.That(tokenizer.Decode([1, 3, 7, 5]), Is.EqualTo("bab"));
    }

    [Test]
    public void HuggingFace_MinimalBpe_UsesRanks_ArrayMerges_AndFusedUnknowns()
    {
        // No normalizer, pre-tokenizer or decoder fields at all; merges as [a, b] pairs; "b c" outranks "a b".
        using var temp = new TempFolder();
        File.WriteAllText(temp["tokenizer.json"], """
            {"added_tokens": [{"id": 0, "content": "<unk>", "special": true, "normalized": false}],
             "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true,
                       "vocab": {"<unk>": 0, "a": 1, "b": 2, "c": 3, "ab": 4, "bc": 5},
                       "merges": [["b", "c"], ["a", "b"]]}}
            """);
        var tokenizer = TokenizerLoader.Load(temp["tokenizer.json"]);
        Assert.That(tokenizer.Encode("abc", addBos: false), Is.EqualTo(new[] { 1, 5 }));
        Assert.That(tokenizer.Encode("ab??c!", addBos: false), Is.EqualTo(new[] { 4, 0, 3, 0 }));
        Assert.That((tokenizer.BosId, tokenizer.AddsBosByDefault), Is.EqualTo(((int?)null, false)));
        Assert.That(tokenizer.Decode([1, 5, 0]), Is.EqualTo("abc"));
        Assert.Throws<InvalidOperationException>(() => tokenizer.Encode("a", addBos: true));
    }

    [Test]
    public void HuggingFace_SentencePieceStyle_NormalizesPrependsBos_AndStripsOnDecode()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["tokenizer.json"], """
            {"added_tokens": [{"id": 1, "content": "<s>", "special": true, "normalized": true}],
             "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                            {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
             "post_processor": {"type": "TemplateProcessing",
                                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                                "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
             "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                         {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
             "model": {"type": "BPE", "byte_fallback": true, "unk_token": "<unk>",
                       "vocab": {"<unk>": 0, "<s>": 1, "<0x21>": 2, "▁": 3, "h": 4, "i": 5, "▁h": 6, "▁hi": 7},
                       "merges": ["▁ h", "▁h i"]}}
            """);
        var tokenizer = TokenizerLoader.Load(temp["tokenizer.json"]);
        Assert.That((tokenizer.BosId, tokenizer.AddsBosByDefault), Is.EqualTo(((int?)1, true)));
        // "!" is not a piece but <0x21> is; "?" has neither, so it is <unk>.
        Assert.That(tokenizer.Encode("hi hi!?", addBos: true), Is.EqualTo(new[] { 1, 7, 7, 2, 0 }));
        Assert.That(tokenizer.Decode([1, 7, 7, 2]), Is.EqualTo("hi hi!"));
        Assert.That(tokenizer.Encode("", addBos: true), Is.EqualTo(new[] { 1 }));
    }

    private static void WriteLlama2cBin(string path, params (string Piece, float Score)[] pieces)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(pieces.Max(p => System.Text.Encoding.UTF8.GetByteCount(p.Piece)));
        foreach (var (piece, score) in pieces)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(piece);
            writer.Write(score);
            writer.Write(bytes.Length);
            writer.Write(bytes);
        }
    }
}
