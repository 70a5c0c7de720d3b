namespace SliceGpt.Runtime.Slicing;

/// <summary>Splits one text into a calibration part and a held-out evaluation part at a document boundary.</summary>
public static class HoldoutSplit
{
    /// <summary>
    /// Cuts <paramref name="text"/> at the first blank line ("\n\n") at or after character ⌊fraction·length⌋: the first
    /// part ends with that blank line, the second starts after it (the convention of the project's trained tiny models,
    /// whose first quarter of tinystories_val.txt was held out for calibration).
    /// </summary>
    public static (string Calibration, string Evaluation) Split(string text, double fraction)
    {
        if (!(fraction > 0 && fraction < 1))
            throw new ArgumentOutOfRangeException("holdout-split", fraction, "the split fraction must be in (0, 1)");
        int cut = text.IndexOf("\n\n", (int)(text.Length * fraction), StringComparison.Ordinal);
        if (cut < 0)
            throw new SlicingException($"no blank line after {fraction:P0} of the text to split calibration from evaluation at");
        return (text[..(cut + 2)], text[(cut + 2)..]);
    }
}
