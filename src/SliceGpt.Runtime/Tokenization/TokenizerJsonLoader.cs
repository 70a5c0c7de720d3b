using System.Text.Json;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> into a <see cref="HuggingFaceTokenizer"/>. Only BPE models are
/// implemented; every component this engine cannot reproduce exactly is refused with a
/// <see cref="TokenizerFormatException"/> rather than approximated.
/// </summary>
internal static class TokenizerJsonLoader
{
    /// <summary>Loads <paramref name="file"/>, a parsed <c>tokenizer.json</c> document.</summary>
    public static HuggingFaceTokenizer Load(string file, JsonElement root)
    {
        var model = TokenizerJson.Required(root, "model", file, "tokenizer.json");
        var type = TokenizerJson.String(model, "type");
        if (type != "BPE")
            throw new TokenizerFormatException(file, $"model.type is \"{type ?? "(missing)"}\"; only BPE tokenizers are supported (not WordPiece, Unigram or WordLevel)");

        var vocab = BpeFiles.ReadVocab(TokenizerJson.Required(model, "vocab", file, "model"), file);
        var merges = BpeFiles.ReadMerges(TokenizerJson.Required(model, "merges", file, "model"), vocab, file);
        CheckUnsupportedModelOptions(model, file);
        int? unkId = null;
        if (TokenizerJson.String(model, "unk_token") is { } unk)
            unkId = vocab.TryGetValue(unk, out int id) ? id : throw new TokenizerFormatException(file, $"model.unk_token \"{unk}\" is not in the vocabulary");
        var bpe = new BpeModel(vocab, merges, unkId,
            byteFallback: TokenizerJson.Bool(model, "byte_fallback", false),
            fuseUnk: TokenizerJson.Bool(model, "fuse_unk", false),
            ignoreMerges: TokenizerJson.Bool(model, "ignore_merges", false));

        var added = ReadAddedTokens(TokenizerJson.Optional(root, "added_tokens"), file);
        var (preTokenizer, addPrefixSpace, useRegex) = ReadPreTokenizer(TokenizerJson.Optional(root, "pre_tokenizer"), file);
        if (preTokenizer == PreTokenizerKind.ByteLevel)
            BpeFiles.RequireByteAlphabet(vocab, file);
        int? templateBos = ReadPostProcessor(TokenizerJson.Optional(root, "post_processor"), file);
        var (bos, eos) = SpecialTokenIds.Find(file, vocab, added, templateBos);
        var parts = new HuggingFaceTokenizerParts(
            TextNormalizer.FromJson(TokenizerJson.Optional(root, "normalizer"), file),
            preTokenizer, addPrefixSpace, useRegex, added,
            TokenDecoder.FromJson(TokenizerJson.Optional(root, "decoder"), file),
            bos, eos, AddsBos: templateBos is not null);
        return new HuggingFaceTokenizer(bpe, parts);
    }

    private static void CheckUnsupportedModelOptions(JsonElement model, string file)
    {
        foreach (var name in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (TokenizerJson.String(model, name) is { Length: > 0 } value)
                throw new TokenizerFormatException(file, $"model.{name} \"{value}\" is not supported");
        }
        if (TokenizerJson.Optional(model, "dropout") is { ValueKind: JsonValueKind.Number } dropout && dropout.GetDouble() > 0)
            throw new TokenizerFormatException(file, $"model.dropout {dropout.GetDouble()} is not supported (BPE dropout makes encoding random)");
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement json, string file)
    {
        var tokens = new List<AddedToken>();
        if (json.ValueKind != JsonValueKind.Array)
            return tokens;
        // lstrip/rstrip/single_word are not reproduced: no supported model sets them on a token that
        // occurs in ordinary text.
        foreach (var entry in json.EnumerateArray())
        {
            int id = TokenizerJson.Id(TokenizerJson.Required(entry, "id", file, "added_tokens entry"), file, "added_tokens entry");
            tokens.Add(new AddedToken(id,
                TokenizerJson.RequiredString(entry, "content", file, "added_tokens entry"),
                TokenizerJson.Bool(entry, "special", false),
                TokenizerJson.Bool(entry, "normalized", false)));
        }
        return tokens;
    }

    private static (PreTokenizerKind Kind, bool AddPrefixSpace, bool UseRegex) ReadPreTokenizer(JsonElement json, string file)
    {
        if (json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            return (PreTokenizerKind.None, false, false);
        var type = TokenizerJson.RequiredString(json, "type", file, "pre_tokenizer");
        if (type != "ByteLevel")
            throw new TokenizerFormatException(file, $"pre_tokenizer type \"{type}\" is not supported (supported: none, ByteLevel)");
        return (PreTokenizerKind.ByteLevel, TokenizerJson.Bool(json, "add_prefix_space", true), TokenizerJson.Bool(json, "use_regex", true));
    }

    // The id the post-processor puts before the text (the BOS that tokenizer(text) adds), or null.
    private static int? ReadPostProcessor(JsonElement json, string file)
    {
        if (json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            return null;
        var type = TokenizerJson.RequiredString(json, "type", file, "post_processor");
        switch (type)
        {
            case "ByteLevel":
                return null; // adjusts offsets only; ids are unchanged
            case "Sequence":
                int? bos = null;
                foreach (var inner in TokenizerJson.Required(json, "processors", file, "post_processor").EnumerateArray())
                    bos = ReadPostProcessor(inner, file) ?? bos;
                return bos;
            case "TemplateProcessing":
                return ReadTemplate(json, file);
            default:
                throw new TokenizerFormatException(file, $"post_processor type \"{type}\" is not supported (supported: TemplateProcessing, ByteLevel, Sequence)");
        }
    }

    private static int? ReadTemplate(JsonElement json, string file)
    {
        var single = TokenizerJson.Required(json, "single", file, "TemplateProcessing").EnumerateArray().ToList();
        int sequenceAt = single.FindIndex(p => p.TryGetProperty("Sequence", out _));
        if (sequenceAt < 0 || sequenceAt != single.Count - 1 || sequenceAt > 1)
            throw new TokenizerFormatException(file, $"TemplateProcessing single template {TokenizerJson.Required(json, "single", file, "TemplateProcessing").GetRawText()} is not supported (only an optional BOS before $A, nothing after)");
        if (sequenceAt == 0)
            return null;
        var name = TokenizerJson.RequiredString(TokenizerJson.Required(single[0], "SpecialToken", file, "TemplateProcessing piece"), "id", file, "SpecialToken");
        var special = TokenizerJson.Required(TokenizerJson.Required(json, "special_tokens", file, "TemplateProcessing"), name, file, "special_tokens");
        var ids = TokenizerJson.Required(special, "ids", file, $"special token {name}");
        if (ids.GetArrayLength() != 1)
            throw new TokenizerFormatException(file, $"TemplateProcessing special token {name} has {ids.GetArrayLength()} ids; only one is supported");
        return TokenizerJson.Id(ids[0], file, $"TemplateProcessing special token {name}");
    }
}
