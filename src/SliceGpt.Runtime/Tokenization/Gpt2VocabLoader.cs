using System.Text.Json;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// Reads GPT-2-style tokenizer files, <c>vocab.json</c> + <c>merges.txt</c> (GPT-2 itself, OPT, RoBERTa):
/// byte-level BPE with GPT-2's regex, no normalizer, and the byte-level decoder.
/// </summary>
/// <remarks>
/// These files do not say whether a BOS is prepended; the vocabulary's own numbering does. A vocabulary with
/// <c>&lt;/s&gt;</c> follows fairseq's dictionary (OPT, RoBERTa: <c>&lt;s&gt;</c> 0, <c>&lt;pad&gt;</c> 1,
/// <c>&lt;/s&gt;</c> 2, <c>&lt;unk&gt;</c> 3), and OPT's Hugging Face tokenizer prepends <c>&lt;/s&gt;</c> as BOS
/// and uses it as EOS. A vocabulary with only <c>&lt;|endoftext|&gt;</c> is OpenAI's GPT-2, whose tokenizer adds
/// nothing; <c>&lt;|endoftext|&gt;</c> is its BOS and EOS. The content decides, never the folder name.
/// </remarks>
internal static class Gpt2VocabLoader
{
    private const string FairseqEos = "</s>";
    private const string Gpt2EndOfText = "<|endoftext|>";
    // Tokens that stand for control symbols rather than text; matched whole in text and dropped by Decode,
    // as Hugging Face does for its special tokens.
    private static readonly string[] SpecialNames = ["<s>", "<pad>", FairseqEos, "<unk>", Gpt2EndOfText];

    /// <summary>Loads <paramref name="vocabFile"/> with the <c>merges.txt</c> beside it.</summary>
    public static HuggingFaceTokenizer Load(string vocabFile, JsonElement root)
    {
        var mergesFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(vocabFile))!, "merges.txt");
        if (!File.Exists(mergesFile))
            throw new TokenizerFormatException(vocabFile, $"a GPT-2-style vocab.json needs merges.txt beside it, and {mergesFile} does not exist");

        var vocab = BpeFiles.ReadVocab(root, vocabFile);
        BpeFiles.RequireByteAlphabet(vocab, vocabFile);
        var merges = BpeFiles.ReadMergesText(mergesFile, vocab);
        var special = SpecialNames
            .Where(vocab.ContainsKey)
            .Select(name => new AddedToken(vocab[name], name, Special: true, Normalized: false))
            .ToList();

        int? bos = null, eos = null;
        bool addsBos = false;
        if (vocab.TryGetValue(FairseqEos, out int fairseqEos))
            (bos, eos, addsBos) = (fairseqEos, fairseqEos, true);
        else if (vocab.TryGetValue(Gpt2EndOfText, out int endOfText))
            (bos, eos) = (endOfText, endOfText);

        var bpe = new BpeModel(vocab, merges, unkId: null, byteFallback: false, fuseUnk: false, ignoreMerges: false);
        var parts = new HuggingFaceTokenizerParts(TextNormalizer.Identity, PreTokenizerKind.ByteLevel,
            AddPrefixSpace: false, UseRegex: true, special, TokenDecoder.ByteLevel, bos, eos, addsBos);
        return new HuggingFaceTokenizer(bpe, parts);
    }
}
