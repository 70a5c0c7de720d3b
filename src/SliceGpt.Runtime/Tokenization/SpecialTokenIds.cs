using System.Text.Json;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// Finds a Hugging Face tokenizer's BOS and EOS ids. <c>tokenizer.json</c> does not name them; in order of
/// trust they come from the post-processor (the BOS that <c>tokenizer(text)</c> really prepends), from
/// <c>tokenizer_config.json</c> beside the file (<c>bos_token</c>, <c>eos_token</c>), and last from the
/// conventional names of the families supported (<c>&lt;s&gt;</c>/<c>&lt;/s&gt;</c>, <c>&lt;|endoftext|&gt;</c>).
/// </summary>
internal static class SpecialTokenIds
{
    private static readonly string[] BosNames = ["<s>", "<|begin_of_text|>", "<bos>", "<|endoftext|>"];
    private static readonly string[] EosNames = ["</s>", "<|end_of_text|>", "<eos>", "<|endoftext|>"];

    /// <summary>The (BOS, EOS) ids; each null when nothing names one.</summary>
    public static (int? Bos, int? Eos) Find(string file, Dictionary<string, int> vocab, List<AddedToken> added, int? templateBos)
    {
        int? IdOf(string? name)
        {
            if (name is null)
                return null;
            foreach (var token in added)
            {
                if (token.Content == name)
                    return token.Id;
            }
            return vocab.TryGetValue(name, out int id) ? id : null;
        }

        var (configBos, configEos) = ReadTokenizerConfig(file);
        int? bos = templateBos ?? IdOf(configBos) ?? BosNames.Select(IdOf).FirstOrDefault(id => id is not null);
        int? eos = IdOf(configEos) ?? EosNames.Select(IdOf).FirstOrDefault(id => id is not null);
        return (bos, eos);
    }

    // tokenizer_config.json spells a special token as a string or as {"content": "..."}. A missing or
    // unreadable config is not an error: it is optional, and the names above cover the supported families.
    private static (string? Bos, string? Eos) ReadTokenizerConfig(string tokenizerFile)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(tokenizerFile));
        var config = folder is null ? null : Path.Combine(folder, "tokenizer_config.json");
        if (config is null || !File.Exists(config))
            return (null, null);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(config));
            return (Name(document.RootElement, "bos_token"), Name(document.RootElement, "eos_token"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            return (null, null); // JsonElement.GetString throws InvalidOperationException on invalid UTF-8
        }

        static string? Name(JsonElement root, string field) => TokenizerJson.Optional(root, field) switch
        {
            { ValueKind: JsonValueKind.String } s => s.GetString(),
            { ValueKind: JsonValueKind.Object } o => TokenizerJson.String(o, "content"),
            _ => null,
        };
    }
}
