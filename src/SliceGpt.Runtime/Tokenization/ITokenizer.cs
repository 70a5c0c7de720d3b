namespace SliceGpt.Runtime.Tokenization;

/// <summary>A text tokenizer. Instances are immutable and safe to share between threads.</summary>
public interface ITokenizer
{
    /// <summary>Number of ids the tokenizer can produce.</summary>
    int VocabSize { get; }

    /// <summary>The beginning-of-sequence id, if the tokenizer has one.</summary>
    int? BosId { get; }

    /// <summary>The end-of-sequence id, if the tokenizer has one.</summary>
    int? EosId { get; }

    /// <summary>Whether the model family's convention prepends <see cref="BosId"/> to a document.</summary>
    bool AddsBosByDefault { get; }

    /// <summary>Encodes <paramref name="text"/>; prepends the BOS id when <paramref name="addBos"/> is true.</summary>
    int[] Encode(string text, bool addBos);

    /// <summary>Decodes ids to text (special tokens such as BOS and EOS are dropped).</summary>
    string Decode(ReadOnlySpan<int> ids);
}
