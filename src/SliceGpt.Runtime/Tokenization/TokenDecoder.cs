using System.Text;
using System.Text.Json;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// Turns token strings back into text, as the Hugging Face decoders BPE models use: <c>Sequence</c>,
/// <c>Replace</c>, <c>ByteFallback</c>, <c>Fuse</c>, <c>Strip</c> (Llama 2) and <c>ByteLevel</c> (GPT-2, Phi-2).
/// Each step maps a list of strings to a list of strings; the result is their concatenation.
/// </summary>
internal sealed class TokenDecoder
{
    private readonly List<Func<List<string>, List<string>>> _steps;

    private TokenDecoder(List<Func<List<string>, List<string>>> steps) => _steps = steps;

    /// <summary>The byte-level decoder alone (GPT-2 <c>vocab.json</c> + <c>merges.txt</c>).</summary>
    public static TokenDecoder ByteLevel { get; } = new([DecodeByteLevel]);

    /// <summary>Decodes <paramref name="tokens"/> to text.</summary>
    public string Decode(List<string> tokens)
    {
        foreach (var step in _steps)
            tokens = step(tokens);
        return string.Concat(tokens);
    }

    /// <summary>Reads the <c>decoder</c> object of a tokenizer.json (null: concatenate the tokens).</summary>
    /// <exception cref="TokenizerFormatException">A decoder type this engine does not implement.</exception>
    public static TokenDecoder FromJson(JsonElement json, string file)
    {
        var steps = new List<Func<List<string>, List<string>>>();
        AddSteps(json, file, steps);
        return new TokenDecoder(steps);
    }

    private static void AddSteps(JsonElement json, string file, List<Func<List<string>, List<string>>> steps)
    {
        if (json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            return;
        var type = TokenizerJson.RequiredString(json, "type", file, "decoder");
        switch (type)
        {
            case "Sequence":
                foreach (var inner in TokenizerJson.Required(json, "decoders", file, "decoder").EnumerateArray())
                    AddSteps(inner, file, steps);
                break;
            case "Replace":
                var (pattern, content) = TokenizerJson.ReplacePattern(json, file, "Replace decoder");
                steps.Add(tokens => tokens.ConvertAll(t => t.Replace(pattern, content, StringComparison.Ordinal)));
                break;
            case "ByteFallback":
                steps.Add(DecodeByteFallback);
                break;
            case "Fuse":
                steps.Add(tokens => [string.Concat(tokens)]);
                break;
            case "Strip":
                var strip = TokenizerJson.RequiredString(json, "content", file, "Strip decoder");
                int start = TokenizerJson.Required(json, "start", file, "Strip decoder").GetInt32();
                int stop = TokenizerJson.Required(json, "stop", file, "Strip decoder").GetInt32();
                if (strip.Length != 1)
                    throw new TokenizerFormatException(file, $"Strip decoder content \"{strip}\" is not one character");
                steps.Add(tokens => tokens.ConvertAll(t => Strip(t, strip[0], start, stop)));
                break;
            case "ByteLevel":
                steps.Add(DecodeByteLevel);
                break;
            default:
                throw new TokenizerFormatException(file, $"decoder type \"{type}\" is not supported (supported: Sequence, Replace, ByteFallback, Fuse, Strip, ByteLevel)");
        }
    }

    // Removes up to `start` leading and `stop` trailing copies of `c` from each token: after Fuse there is one
    // token, so Llama 2's Strip(" ", 1, 0) drops the dummy-prefix space of the whole text.
    private static string Strip(string token, char c, int start, int stop)
    {
        int from = 0, to = token.Length;
        while (from < to && from < start && token[from] == c)
            from++;
        while (to > from && token.Length - to < stop && token[to - 1] == c)
            to--;
        return token[from..to];
    }

    // Runs of <0xNN> tokens become the text their bytes spell; a run that is not valid UTF-8 becomes one
    // U+FFFD per byte, as Hugging Face's ByteFallback decoder does.
    private static List<string> DecodeByteFallback(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var run = new List<byte>();
        foreach (var token in tokens)
        {
            if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
                && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte b))
            {
                run.Add(b);
                continue;
            }
            Flush(run, result);
            result.Add(token);
        }
        Flush(run, result);
        return result;

        static void Flush(List<byte> run, List<string> result)
        {
            if (run.Count == 0)
                return;
            try
            {
                result.Add(StrictUtf8.GetString(run.ToArray()));
            }
            catch (DecoderFallbackException)
            {
                result.Add(new string('\uFFFD', run.Count));
            }
            run.Clear();
        }
    }

    // All tokens to bytes through the GPT-2 alphabet, then UTF-8 with invalid sequences replaced by U+FFFD.
    private static List<string> DecodeByteLevel(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens)
            ByteLevelAlphabet.AppendBytes(token, bytes);
        return [Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes))];
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
