namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>
/// The fewest bytes one batch-1 decode step must read from device memory, the floor of its time at a given bandwidth
/// (METHOD.md's "two numbers"; at batch 1 the arithmetic, about 2 FLOP per weight, is far below the tensor cores'
/// rate, so the bytes decide). Counted: every weight of every block (shortcut matrices and norm scales included) and
/// of the head, once; one row of the embedding (a lookup, not a pass over the table); the keys and values of every
/// position the new token attends to, in every layer. Not counted: activations (a few vectors of width D), the
/// new token's key and value written to the cache, the fp32 logits written, all under 0.1% for a 7B model.
/// </summary>
internal static class DecodeRoofline
{
    /// <summary>Weight bytes read per token: all parameters but the embedding table, plus one embedding row.</summary>
    /// <param name="model">The model's shapes.</param>
    /// <param name="elementBytes">Bytes per stored weight (2 for fp16).</param>
    public static long WeightBytesPerToken(ModelBlueprint model, int elementBytes)
    {
        long embeddingTable = (long)model.Config.VocabSize * model.EmbeddingWidth;
        return elementBytes * (model.Parameters - embeddingTable + model.EmbeddingWidth);
    }

    /// <summary>Key and value bytes read by one step that attends over <paramref name="context"/> positions.</summary>
    /// <param name="model">The model's shapes (layers, key/value width: slicing leaves both alone).</param>
    /// <param name="context">Positions attended to, the new one included (may be a mean, hence double).</param>
    /// <param name="elementBytes">Bytes per cached element (the session's storage type: 2 for fp16).</param>
    public static double KvBytes(ModelBlueprint model, double context, int elementBytes) =>
        (double)model.Config.NLayers * 2 * model.Config.KvDim * context * elementBytes;

    /// <summary>
    /// The mean context of <paramref name="steps"/> steps after a prompt of <paramref name="prompt"/> tokens: step j
    /// (from 0) writes position prompt + j and attends over prompt + j + 1 positions, so the mean is prompt + (steps + 1) / 2.
    /// </summary>
    public static double MeanContext(int prompt, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prompt);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        return prompt + (steps + 1) / 2.0;
    }

    /// <summary>Mean bytes per token of <paramref name="steps"/> steps after a <paramref name="prompt"/>-token prompt.</summary>
    public static double BytesPerToken(ModelBlueprint model, int prompt, int steps, int elementBytes) =>
        WeightBytesPerToken(model, elementBytes) + KvBytes(model, MeanContext(prompt, steps), elementBytes);

    /// <summary>The share of the bandwidth ceiling reached: (bytes / seconds) / peak; NaN when anything is unknown.</summary>
    public static double RooflineShare(double bytesPerToken, double secondsPerToken, double? peakBytesPerSecond) =>
        peakBytesPerSecond is double peak && peak > 0 && secondsPerToken > 0 ? bytesPerToken / secondsPerToken / peak : double.NaN;
}
