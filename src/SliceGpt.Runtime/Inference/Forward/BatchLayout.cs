namespace SliceGpt.Runtime.Inference.Forward;

/// <summary>
/// Where the token rows of one forward pass come from: the chunks of a ragged batch, in order, and each row's position.
/// Rows are laid out chunk after chunk. Validated when set; reused from pass to pass without allocating.
/// </summary>
internal sealed class BatchLayout
{
    private readonly SequenceChunk[] _chunks;  // (slots)
    private readonly int[] _firstRow;          // (slots + 1) prefix sums of the chunk sizes
    private readonly int[] _positions;         // (maxTokens) the position of every row
    private readonly bool[] _slotUsed;         // (slots) scratch of the validation

    /// <summary>A layout for batches over <paramref name="slots"/> KV slots of <paramref name="maxSeqLen"/> positions, at most <paramref name="maxTokens"/> rows.</summary>
    public BatchLayout(int slots, int maxSeqLen, int maxTokens)
    {
        Slots = slots;
        MaxSeqLen = maxSeqLen;
        MaxTokens = maxTokens;
        _chunks = new SequenceChunk[slots];
        _firstRow = new int[slots + 1];
        _positions = new int[maxTokens];
        _slotUsed = new bool[slots];
    }

    /// <summary>Number of KV slots.</summary>
    public int Slots { get; }

    /// <summary>Positions per slot.</summary>
    public int MaxSeqLen { get; }

    /// <summary>The most rows one pass may hold.</summary>
    public int MaxTokens { get; }

    /// <summary>Chunks in the current pass.</summary>
    public int Count { get; private set; }

    /// <summary>Rows in the current pass.</summary>
    public int Tokens => _firstRow[Count];

    /// <summary>
    /// True when chunk i uses slot i and every chunk has the same length (perplexity rows, calibration batches, a single
    /// sequence, a decode step of slots 0 … n − 1); starts may differ. Row r then belongs to slot r / length, and a
    /// device may run the pass's attention as one launch.
    /// </summary>
    public bool IsUniform { get; private set; }

    /// <summary>The largest <see cref="SequenceChunk.End"/> of the pass: every key any row may see lies below it.</summary>
    public int MaxEnd { get; private set; }

    /// <summary>The largest <see cref="SequenceChunk.Start"/> of the pass (0: every chunk starts a sequence).</summary>
    public int MaxStart { get; private set; }

    /// <summary>The chunks of the current pass.</summary>
    public ReadOnlySpan<SequenceChunk> Chunks => _chunks.AsSpan(0, Count);

    /// <summary>Chunk <paramref name="i"/>.</summary>
    public SequenceChunk this[int i] => _chunks[i];

    /// <summary>The first row of chunk <paramref name="i"/>.</summary>
    public int FirstRow(int i) => _firstRow[i];

    /// <summary>The row of chunk <paramref name="i"/>'s last token.</summary>
    public int LastRow(int i) => _firstRow[i + 1] - 1;

    /// <summary>The position of every row of the pass.</summary>
    public ReadOnlySpan<int> Positions => _positions.AsSpan(0, Tokens);

    /// <summary>Sets a ragged pass; each slot may appear once.</summary>
    /// <exception cref="ArgumentException">An empty batch, a slot out of range or repeated, a chunk past the slot's end, or too many rows.</exception>
    public void Set(ReadOnlySpan<SequenceChunk> chunks)
    {
        if (chunks.IsEmpty)
            throw new ArgumentException("a forward pass needs at least one chunk", nameof(chunks));
        if (chunks.Length > Slots)
            throw new ArgumentException($"{chunks.Length} chunks exceed the session's {Slots} slots", nameof(chunks));
        Array.Clear(_slotUsed);
        long tokens = 0;
        for (int i = 0; i < chunks.Length; i++)
        {
            var c = chunks[i];
            if ((uint)c.Slot >= (uint)Slots)
                throw new ArgumentOutOfRangeException(nameof(chunks), c.Slot, $"chunk {i}: slot {c.Slot} is outside the session's slots 0..{Slots - 1}");
            if (_slotUsed[c.Slot])
                throw new ArgumentException($"chunk {i}: slot {c.Slot} appears twice in one pass", nameof(chunks));
            if (c.Count < 1 || c.Start < 0)
                throw new ArgumentOutOfRangeException(nameof(chunks), $"chunk {i}: needs a start ≥ 0 and at least one token, got start {c.Start}, count {c.Count}");
            if (c.End > MaxSeqLen)
                throw new ArgumentOutOfRangeException(nameof(chunks), $"chunk {i}: {c.Start} + {c.Count} tokens exceed the session's {MaxSeqLen} positions");
            _slotUsed[c.Slot] = true;
            tokens += c.Count;
        }
        if (tokens > MaxTokens)
            throw new ArgumentException($"{tokens} tokens exceed the session's {MaxTokens} rows per pass", nameof(chunks));
        chunks.CopyTo(_chunks);
        Count = chunks.Length;
        Fill();
    }

    /// <summary>Sets a rectangular pass: slots 0 … batch − 1, each <paramref name="seqLen"/> tokens from <paramref name="start"/>.</summary>
    public void SetUniform(int batch, int seqLen, int start)
    {
        if (batch < 1 || batch > Slots)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"the session holds 1..{Slots} rows");
        if (seqLen < 1 || start < 0 || start + seqLen > MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(seqLen), $"{start} + {seqLen} tokens exceed the session's {MaxSeqLen} positions");
        if ((long)batch * seqLen > MaxTokens)
            throw new ArgumentException($"{batch}×{seqLen} tokens exceed the session's {MaxTokens} rows per pass", nameof(batch));
        for (int b = 0; b < batch; b++)
            _chunks[b] = new SequenceChunk(b, start, seqLen);
        Count = batch;
        Fill();
    }

    private void Fill()
    {
        bool uniform = true;
        int maxEnd = 0, maxStart = 0;
        var first = _chunks[0];
        for (int i = 0; i < Count; i++)
        {
            var c = _chunks[i];
            _firstRow[i + 1] = _firstRow[i] + c.Count;
            for (int t = 0; t < c.Count; t++)
                _positions[_firstRow[i] + t] = c.Start + t;
            uniform &= c.Slot == i && c.Count == first.Count;
            maxEnd = Math.Max(maxEnd, c.End);
            maxStart = Math.Max(maxStart, c.Start);
        }
        MaxStart = maxStart;
        IsUniform = uniform;
        MaxEnd = maxEnd;
    }
}
