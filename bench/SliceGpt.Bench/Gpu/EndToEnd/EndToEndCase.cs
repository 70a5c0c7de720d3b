namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>What an end-to-end case times.</summary>
public enum EndToEndKind
{
    /// <summary>One forward pass of <see cref="EndToEndCase.Batch"/> sequences of <see cref="EndToEndCase.SeqLen"/> tokens (paper Table 11).</summary>
    Prefill,
    /// <summary><see cref="EndToEndCase.Steps"/> batch-1 decode steps after a <see cref="EndToEndCase.SeqLen"/>-token prompt (paper Table 2).</summary>
    Decode,
}

/// <summary>
/// One end-to-end measurement of a LLAMA-2-7B-shaped model in fp16 on the GPU.
/// </summary>
/// <param name="Kind">Prefill throughput or decode latency.</param>
/// <param name="Variant">Dense, or sliced 25%/50%.</param>
/// <param name="Batch">Sequences per forward (decode: 1).</param>
/// <param name="SeqLen">Prefill: tokens per sequence; decode: the prompt's length.</param>
/// <param name="Steps">Decode steps timed per call (prefill: 0).</param>
/// <param name="Order">Position in its suite; BenchmarkDotNet runs parameter values in their sort order, so each model is uploaded once.</param>
public sealed record EndToEndCase(EndToEndKind Kind, ModelVariant Variant, int Batch, int SeqLen, int Steps, int Order)
    : IComparable<EndToEndCase>, IComparable
{
    /// <summary>A unique, stable name.</summary>
    public string Id => Kind == EndToEndKind.Prefill
        ? $"{Variant.Label()} prefill {Batch}x{SeqLen}"
        : $"{Variant.Label()} decode {Steps} after {SeqLen}";

    /// <summary>Tokens one timed sample processes: a forward's batch × seqLen, or one decode step's single token.</summary>
    public long TokensPerSample => Kind == EndToEndKind.Prefill ? (long)Batch * SeqLen : 1;

    /// <summary>
    /// Timed samples per BenchmarkDotNet call: forwards per call grow as the batch shrinks, so that small batches (a few
    /// ms each) still give enough samples for a median; one forward from batch 32 on; every step of a decode call.
    /// </summary>
    public int SamplesPerCall => Kind == EndToEndKind.Prefill ? Math.Max(1, 32 / Batch) : Steps;

    /// <inheritdoc/>
    public override string ToString() => Id;

    /// <summary>Suite order.</summary>
    public int CompareTo(EndToEndCase? other) => other is null ? 1 : Order.CompareTo(other.Order);

    /// <inheritdoc/>
    public int CompareTo(object? obj) => CompareTo(obj as EndToEndCase);
}

/// <summary>The end-to-end suites' cases: per model, prefill at every batch size, then decode.</summary>
internal static class EndToEndSuite
{
    /// <summary>Table 11's sequence length.</summary>
    public const int PrefillSeqLen = 128;

    /// <summary>The decode prompt, long enough that attention reads a realistic KV cache.</summary>
    public const int DecodePrompt = 128;

    /// <summary>
    /// Batch sizes of the full suite: doubling, as the paper does, up to 1024 (a dense 7B model's KV cache and activations
    /// at 1024 × 128 tokens take about 85 GB: that fits an H200, not an 80 GB H100, where the case reports out of memory).
    /// </summary>
    public static IReadOnlyList<int> FullBatches { get; } = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

    /// <summary>Batch sizes of the smoke suite: the latency-bound end, the middle, and a compute-bound size.</summary>
    public static IReadOnlyList<int> SmokeBatches { get; } = [1, 16, 128];

    /// <summary>Every case of the full suite: 11 batch sizes and 128 decode steps per model.</summary>
    public static IReadOnlyList<EndToEndCase> Full { get; } = Cases(FullBatches, decodeSteps: 128);

    /// <summary>The smoke suite's cases: 3 batch sizes and 32 decode steps per model.</summary>
    public static IReadOnlyList<EndToEndCase> Smoke { get; } = Cases(SmokeBatches, decodeSteps: 32);

    /// <summary>The cases for <paramref name="batches"/> and <paramref name="decodeSteps"/>, dense first, each model's cases together.</summary>
    public static IReadOnlyList<EndToEndCase> Cases(IReadOnlyList<int> batches, int decodeSteps)
    {
        var cases = new List<EndToEndCase>();
        foreach (var variant in ModelVariants.All)
        {
            cases.AddRange(batches.Select(b => new EndToEndCase(EndToEndKind.Prefill, variant, b, PrefillSeqLen, 0, 0)));
            cases.Add(new EndToEndCase(EndToEndKind.Decode, variant, 1, DecodePrompt, decodeSteps, 0));
        }
        return cases.Select((c, i) => c with { Order = i }).ToList();
    }
}
