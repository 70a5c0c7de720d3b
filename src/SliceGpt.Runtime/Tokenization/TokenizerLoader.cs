using System.Text.Json;
using SliceGpt.Runtime.IO;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>Opens any tokenizer this engine supports, deciding the kind from the file's content.</summary>
public static class TokenizerLoader
{
    /// <summary>
    /// Loads the tokenizer at <paramref name="path"/>:
    /// <list type="bullet">
    /// <item>a Hugging Face <c>tokenizer.json</c> (a JSON object with a <c>model</c> field);</item>
    /// <item>a GPT-2-style <c>vocab.json</c> (a JSON object of token → id) with <c>merges.txt</c> beside it;</item>
    /// <item>a folder holding <c>tokenizer.json</c>, else <c>vocab.json</c> + <c>merges.txt</c>;</item>
    /// <item>anything else is read as a llama2.c <c>tokenizer.bin</c>.</item>
    /// </list>
    /// A <c>.json</c> file is always read as JSON and a <c>.bin</c> file always as llama2.c; other names are
    /// decided by their first byte (<c>{</c> for JSON). Folder and file names never select a model family.
    /// </summary>
    /// <exception cref="InputValidationException"><paramref name="path"/> does not exist or cannot be read.</exception>
    /// <exception cref="TokenizerFormatException">The file is not a usable tokenizer; the message says why.</exception>
    public static ITokenizer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            foreach (var name in new[] { "tokenizer.json", "vocab.json" })
            {
                var candidate = Path.Combine(path, name);
                if (File.Exists(candidate))
                    return LoadJson(candidate);
            }
            throw new TokenizerFormatException(path, "folder holds neither tokenizer.json nor vocab.json + merges.txt");
        }
        if (!File.Exists(path))
            throw new InputValidationException(path, null, "no such tokenizer file or folder");

        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".json" || (extension != ".bin" && StartsLikeJson(path)))
            return LoadJson(path);
        if (extension != ".bin" && StartsWith(path, "#version"u8))
            throw new TokenizerFormatException(path, "this is a merges.txt; load the vocab.json beside it, or their folder");
        return Llama2cTokenizer.Load(path);
    }

    /// <summary>
    /// Checks that every id <paramref name="tokenizer"/> can produce indexes the model's embedding: a tokenizer of another
    /// model would otherwise fail deep inside the forward pass, or silently read the wrong rows.
    /// </summary>
    /// <exception cref="InputValidationException">The tokenizer's vocabulary (or its BOS/EOS id) exceeds the model's <c>vocab_size</c>.</exception>
    public static void RequireFits(ITokenizer tokenizer, string tokenizerPath, int modelVocabSize, string modelPath)
    {
        if (tokenizer.VocabSize > modelVocabSize)
            throw new InputValidationException(tokenizerPath, "vocabulary",
                $"{tokenizer.VocabSize} tokens, more than the {modelVocabSize} of the model's vocab_size ({modelPath}); is it this model's tokenizer?");
        foreach (var (name, id) in new[] { ("BOS", tokenizer.BosId), ("EOS", tokenizer.EosId) })
        {
            if (id is int value && (value < 0 || value >= modelVocabSize))
                throw new InputValidationException(tokenizerPath, $"{name} id",
                    $"{value}, outside the model's vocabulary of {modelVocabSize} ({modelPath})");
        }
    }

    private static HuggingFaceTokenizer LoadJson(string file)
    {
        try
        {
            return LoadJsonDocument(file);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            // JsonElement accessors (GetInt32 on a string, an index past an array's end) report a field of the
            // wrong shape this way; the loaders check the fields that matter, this catches the rest.
            throw new TokenizerFormatException(file, $"unexpected JSON structure ({e.Message})", e);
        }
    }

    private static HuggingFaceTokenizer LoadJsonDocument(string file)
    {
        using var document = TokenizerJson.Parse(file);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new TokenizerFormatException(file, $"JSON root is a {root.ValueKind}, expected an object (tokenizer.json or vocab.json)");
        // "model" is also an English word in GPT-2's vocab.json, so the field must hold an object.
        if (root.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.Object)
            return TokenizerJsonLoader.Load(file, root);
        var first = root.EnumerateObject().FirstOrDefault();
        if (first.Value.ValueKind == JsonValueKind.Number)
            return Gpt2VocabLoader.Load(file, root);
        throw new TokenizerFormatException(file, "JSON is neither a tokenizer.json (no \"model\" field) nor a vocab.json (token → id)");
    }

    private static bool StartsLikeJson(string file)
    {
        using var stream = InputFiles.OpenRead(file);
        Span<byte> head = stackalloc byte[64];
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var text = head[..read];
        if (text.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) // a UTF-8 byte order mark
            text = text[3..];
        int i = 0;
        while (i < text.Length && text[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            i++;
        return i < text.Length && text[i] == (byte)'{';
    }

    private static bool StartsWith(string file, ReadOnlySpan<byte> prefix)
    {
        using var stream = InputFiles.OpenRead(file);
        Span<byte> head = stackalloc byte[prefix.Length];
        return stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == head.Length && head.SequenceEqual(prefix);
    }
}
