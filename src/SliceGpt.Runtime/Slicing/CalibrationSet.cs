using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Slicing;

/// <summary>How calibration windows are taken from the text.</summary>
public enum CalibrationMode
{
    /// <summary>The first N consecutive rows, cut as the perplexity protocol cuts them (reproducible tests).</summary>
    First,
    /// <summary>
    /// The reference's sampling: a random document starts each window, following documents are joined with
    /// "\n\n" until the window is full, used documents are removed (seeded with SliceGpt's own generator).
    /// </summary>
    Random,
}

/// <summary>Calibration token rows: <see cref="Rows"/> windows of <see cref="SeqLen"/> tokens, row-major.</summary>
/// <param name="Tokens">Rows × SeqLen ids.</param>
/// <param name="Rows">Number of windows.</param>
/// <param name="SeqLen">Tokens per window.</param>
public sealed record CalibrationSet(int[] Tokens, int Rows, int SeqLen)
{
    /// <summary>The first <paramref name="nsamples"/> rows of <paramref name="seqLen"/> tokens of <paramref name="tokens"/> (fewer if the text is short).</summary>
    /// <exception cref="SlicingException">The text holds less than one row.</exception>
    public static CalibrationSet FirstRows(int[] tokens, int seqLen, int nsamples)
    {
        CheckArguments(seqLen, nsamples);
        int rows = Math.Min(nsamples, tokens.Length / seqLen);
        if (rows < 1)
            throw new SlicingException($"the calibration text has {tokens.Length} tokens, fewer than one row of {seqLen}");
        return new CalibrationSet(tokens[..(rows * seqLen)], rows, seqLen);
    }

    /// <summary>Up to <paramref name="nsamples"/> windows sampled from the documents of <paramref name="text"/> (separated by blank lines).</summary>
    /// <exception cref="SlicingException">No document run is long enough for one window.</exception>
    public static CalibrationSet RandomWindows(string text, ITokenizer tokenizer, int seqLen, int nsamples, ulong seed)
    {
        CheckArguments(seqLen, nsamples);
        var documents = text.Split("\n\n").Where(d => !string.IsNullOrWhiteSpace(d)).ToList();
        var rng = new SplitMix64(seed);
        var rows = new List<int[]>();
        while (rows.Count < nsamples && documents.Count > 0)
        {
            int start = rng.NextInt(documents.Count), end = start;
            string window = "";
            int[] ids = [];
            while (ids.Length < seqLen && end < documents.Count)
            {
                window = end == start ? documents[end] : window + "\n\n" + documents[end];
                ids = tokenizer.Encode(window, tokenizer.AddsBosByDefault);
                end++;
            }
            documents.RemoveRange(start, end - start);
            if (ids.Length >= seqLen)
                rows.Add(ids[..seqLen]);
        }
        if (rows.Count == 0)
            throw new SlicingException($"the calibration text has no run of documents as long as one row of {seqLen} tokens");
        return new CalibrationSet(rows.SelectMany(r => r).ToArray(), rows.Count, seqLen);
    }

    private static void CheckArguments(int seqLen, int nsamples)
    {
        if (seqLen < 2)
            throw new ArgumentOutOfRangeException("calib-seqlen", seqLen, "calibration rows need at least 2 tokens");
        if (nsamples < 1)
            throw new ArgumentOutOfRangeException("nsamples", nsamples, "at least one calibration sample is needed");
    }

    /// <summary>The tokens of row <paramref name="first"/> onwards, <paramref name="count"/> rows.</summary>
    public ReadOnlySpan<int> RowSpan(int first, int count) => Tokens.AsSpan(first * SeqLen, count * SeqLen);
}
