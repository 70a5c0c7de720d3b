using System.Text.Json;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// The subset of Hugging Face normalizers that BPE language models use: <c>Sequence</c>, <c>Prepend</c> and
/// <c>Replace</c> with a plain-string pattern (Llama 2 and Phi-3 spell SentencePiece's dummy prefix and
/// "▁" for spaces this way). Anything else is refused when the file is loaded, never ignored.
/// </summary>
internal sealed class TextNormalizer
{
    private readonly List<Func<string, string>> _steps;

    private TextNormalizer(List<Func<string, string>> steps) => _steps = steps;

    /// <summary>The normalizer that changes nothing (<c>"normalizer": null</c>).</summary>
    public static TextNormalizer Identity { get; } = new([]);

    /// <summary>Applies every step in order.</summary>
    public string Apply(string text)
    {
        foreach (var step in _steps)
            text = step(text);
        return text;
    }

    /// <summary>Reads the <c>normalizer</c> object of a tokenizer.json.</summary>
    /// <exception cref="TokenizerFormatException">A normalizer type this engine does not implement.</exception>
    public static TextNormalizer FromJson(JsonElement json, string file)
    {
        var steps = new List<Func<string, string>>();
        AddSteps(json, file, steps);
        return new TextNormalizer(steps);
    }

    private static void AddSteps(JsonElement json, string file, List<Func<string, string>> steps)
    {
        if (json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            return;
        var type = TokenizerJson.RequiredString(json, "type", file, "normalizer");
        switch (type)
        {
            case "Sequence":
                foreach (var inner in TokenizerJson.Required(json, "normalizers", file, "normalizer").EnumerateArray())
                    AddSteps(inner, file, steps);
                break;
            case "Prepend":
                // Hugging Face prepends only to non-empty text: "" stays "" (and encodes to BOS alone).
                var prefix = TokenizerJson.RequiredString(json, "prepend", file, "Prepend normalizer");
                steps.Add(text => text.Length == 0 ? text : prefix + text);
                break;
            case "Replace":
                var (pattern, content) = TokenizerJson.ReplacePattern(json, file, "Replace normalizer");
                steps.Add(text => text.Replace(pattern, content, StringComparison.Ordinal));
                break;
            default:
                throw new TokenizerFormatException(file, $"normalizer type \"{type}\" is not supported (supported: Sequence, Prepend, Replace)");
        }
    }
}
