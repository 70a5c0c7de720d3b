using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Tests.Evaluation;

/// <summary>
/// A toy tokenizer: greedy longest match over a list of pieces (ids from 3; 1 is BOS, 2 EOS). Unlike SentencePiece it
/// can have a piece that spans a space, so a token can merge across the context/continuation boundary.
/// </summary>
internal sealed class PieceTokenizer(params string[] pieces) : ITokenizer
{
    public int VocabSize => pieces.Length + 3;

    public int? BosId => 1;

    public int? EosId => 2;

    public bool AddsBosByDefault => true;

    public int[] Encode(string text, bool addBos)
    {
        var ids = new List<int>();
        if (addBos)
            ids.Add(1);
        for (int at = 0; at < text.Length;)
        {
            int best = -1;
            for (int i = 0; i < pieces.Length; i++)
            {
                if (string.CompareOrdinal(text, at, pieces[i], 0, pieces[i].Length) == 0 && at + pieces[i].Length <= text.Length
                    && (best < 0 || pieces[i].Length > pieces[best].Length))
                    best = i;
            }
            if (best < 0)
                throw new ArgumentException($"no piece for '{text[at]}'");
            ids.Add(best + 3);
            at += pieces[best].Length;
        }
        return [.. ids];
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        var text = new System.Text.StringBuilder();
        foreach (int id in ids)
        {
            if (id >= 3)
                text.Append(pieces[id - 3]);
        }
        return text.ToString();
    }
}
