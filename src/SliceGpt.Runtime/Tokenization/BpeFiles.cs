using System.Text.Json;
using SliceGpt.Runtime.IO;

namespace SliceGpt.Runtime.Tokenization;

/// <summary>Reading BPE vocabularies and merge lists, from <c>tokenizer.json</c> or GPT-2-style files.</summary>
internal static class BpeFiles
{
    /// <summary>A vocabulary object <c>{"token": id, ...}</c>.</summary>
    public static Dictionary<string, int> ReadVocab(JsonElement json, string file)
    {
        if (json.ValueKind != JsonValueKind.Object)
            throw new TokenizerFormatException(file, $"the vocabulary is a JSON {json.ValueKind}, expected an object of token → id");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in json.EnumerateObject())
        {
            vocab[entry.Name] = TokenizerJson.Id(entry.Value, file, $"vocabulary entry \"{entry.Name}\"");
        }
        if (vocab.Count == 0)
            throw new TokenizerFormatException(file, "the vocabulary is empty");
        return vocab;
    }

    /// <summary>A <c>tokenizer.json</c> merge list: <c>"a b"</c> strings (older files) or <c>["a", "b"]</c> pairs.</summary>
    public static BpeMergeTable ReadMerges(JsonElement json, Dictionary<string, int> vocab, string file)
    {
        if (json.ValueKind != JsonValueKind.Array)
            throw new TokenizerFormatException(file, $"model.merges is a JSON {json.ValueKind}, expected an array");
        var table = new BpeMergeTable();
        int rank = 0;
        foreach (var merge in json.EnumerateArray())
        {
            var (left, right) = merge.ValueKind switch
            {
                JsonValueKind.String => SplitMergeLine(merge.GetString()!, rank, file),
                JsonValueKind.Array when merge.GetArrayLength() == 2
                    && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String
                    => (merge[0].GetString()!, merge[1].GetString()!),
                _ => throw new TokenizerFormatException(file, $"merge #{rank} is {merge.GetRawText()}, expected \"a b\" or [\"a\", \"b\"]"),
            };
            AddMerge(table, vocab, left, right, rank++, file);
        }
        return table;
    }

    /// <summary>A <c>merges.txt</c>: an optional <c>#version</c> line, then one "a b" merge per line.</summary>
    public static BpeMergeTable ReadMergesText(string file, Dictionary<string, int> vocab)
    {
        var table = new BpeMergeTable();
        int rank = 0, lineNumber = 0;
        foreach (var line in InputFiles.Guard(file, () => File.ReadAllLines(file)))
        {
            lineNumber++;
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)))
                continue;
            var (left, right) = SplitMergeLine(line, rank, file);
            AddMerge(table, vocab, left, right, rank++, file);
        }
        return table;
    }

    /// <summary>Byte-level BPE must be able to spell every byte, or some text could not be encoded.</summary>
    public static void RequireByteAlphabet(Dictionary<string, int> vocab, string file)
    {
        for (int b = 0; b < 256; b++)
        {
            var spelled = ByteLevelAlphabet.ToChar((byte)b).ToString();
            if (!vocab.ContainsKey(spelled))
                throw new TokenizerFormatException(file, $"byte-level vocabulary lacks \"{spelled}\" (byte 0x{b:X2})");
        }
    }

    // Hugging Face splits on ASCII spaces and requires exactly two parts; byte-level and SentencePiece
    // tokens never contain an ASCII space ("Ġ" and "▁" stand for it).
    private static (string Left, string Right) SplitMergeLine(string line, int rank, string file)
    {
        var parts = line.Split(' ');
        return parts.Length == 2
            ? (parts[0], parts[1])
            : throw new TokenizerFormatException(file, $"merge #{rank} \"{line}\" is not two tokens separated by one space");
    }

    private static void AddMerge(BpeMergeTable table, Dictionary<string, int> vocab, string left, string right, int rank, string file)
    {
        if (!vocab.TryGetValue(left, out int leftId))
            throw new TokenizerFormatException(file, $"merge #{rank} \"{left} {right}\": \"{left}\" is not in the vocabulary");
        if (!vocab.TryGetValue(right, out int rightId))
            throw new TokenizerFormatException(file, $"merge #{rank} \"{left} {right}\": \"{right}\" is not in the vocabulary");
        if (!vocab.TryGetValue(left + right, out int merged))
            throw new TokenizerFormatException(file, $"merge #{rank} \"{left} {right}\": the result \"{left + right}\" is not in the vocabulary");
        table.Set(leftId, rightId, rank, merged);
    }
}
