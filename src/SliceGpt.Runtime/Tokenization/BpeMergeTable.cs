namespace SliceGpt.Runtime.Tokenization;

/// <summary>
/// The merge rules of a BPE vocabulary: which adjacent id pair fuses into which id, and in what order.
/// Immutable once built, so one table serves every thread.
/// </summary>
/// <remarks>
/// Both rule sources reduce to this table. Hugging Face files list merges by rank (line order). llama2.c
/// files list only piece scores; there a pair merges when the concatenated string is a piece, and the
/// piece's score orders it, which the loader turns into a rank. Lower rank merges first; equal ranks go to
/// the leftmost pair, as llama2.c's <c>encode()</c> (strict <c>&gt;</c> while scanning left to right),
/// SentencePiece and Hugging Face tokenizers all do.
/// </remarks>
internal sealed class BpeMergeTable
{
    // (left id << 32 | right id) → (rank << 32 | merged id)
    private readonly Dictionary<long, long> _pairs = new();

    /// <summary>Number of distinct pair rules.</summary>
    public int Count => _pairs.Count;

    /// <summary>Adds a rule; a later rule for the same pair replaces an earlier one (as Hugging Face's map does).</summary>
    public void Set(int left, int right, int rank, int merged) =>
        _pairs[Key(left, right)] = ((long)rank << 32) | (uint)merged;

    /// <summary>Adds a rule unless the pair already has one.</summary>
    public void TryAdd(int left, int right, int rank, int merged) =>
        _pairs.TryAdd(Key(left, right), ((long)rank << 32) | (uint)merged);

    /// <summary>Looks up the rule for the adjacent pair (<paramref name="left"/>, <paramref name="right"/>).</summary>
    public bool TryGet(int left, int right, out int rank, out int merged)
    {
        if (_pairs.TryGetValue(Key(left, right), out long value))
        {
            rank = (int)(value >> 32);
            merged = (int)value;
            return true;
        }
        rank = merged = 0;
        return false;
    }

    /// <summary>
    /// Applies the rules to <paramref name="symbols"/> until no adjacent pair has one, appending the result
    /// to <paramref name="output"/>. <paramref name="symbols"/> is used as scratch space.
    /// </summary>
    /// <remarks>
    /// The obvious loop (scan all pairs, merge the best, repeat) is O(n²) and takes minutes on a
    /// one-megabyte document encoded as a single sequence (Llama has no pre-tokenizer). Here the symbols form
    /// a doubly linked list over their original positions and every candidate pair waits in a heap keyed by
    /// (rank, left position); a popped candidate is stale, and skipped, when either side has changed since it
    /// was pushed. Merged pieces are strictly longer than their parts, so "same ids at the same positions"
    /// means "the same pair". The result is identical to the quadratic loop, in O(n log n).
    /// </remarks>
    public void Apply(Span<int> symbols, List<int> output)
    {
        int n = symbols.Length;
        if (n < 2 || _pairs.Count == 0)
        {
            foreach (int id in symbols)
                output.Add(id);
            return;
        }

        var next = new int[n]; // next live position, -1 at the end
        var prev = new int[n]; // previous live position, -1 at the start
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }

        // Filling an empty queue in one EnqueueRange heapifies in O(n) instead of n O(log n) insertions.
        var initial = new List<(Candidate, long)>(n - 1);
        for (int i = 0; i + 1 < n; i++)
        {
            if (TryGet(symbols[i], symbols[i + 1], out int rank, out int merged))
                initial.Add((new Candidate(i, symbols[i], symbols[i + 1], merged), Priority(rank, i)));
        }
        var queue = new PriorityQueue<Candidate, long>(initial);

        while (queue.TryDequeue(out var c, out _))
        {
            // A dead position holds -1, which never equals a pushed id.
            if (symbols[c.Left] != c.LeftId)
                continue;
            int right = next[c.Left];
            if (right < 0 || symbols[right] != c.RightId)
                continue;

            symbols[c.Left] = c.Merged;
            symbols[right] = -1;
            int after = next[right];
            next[c.Left] = after;
            if (after >= 0)
                prev[after] = c.Left;

            if (prev[c.Left] >= 0)
                Push(queue, symbols, prev[c.Left], c.Left);
            if (after >= 0)
                Push(queue, symbols, c.Left, after);
        }

        // Position 0 is always alive: a merge keeps the left position.
        for (int i = 0; i >= 0; i = next[i])
            output.Add(symbols[i]);
    }

    private void Push(PriorityQueue<Candidate, long> queue, Span<int> symbols, int left, int right)
    {
        if (TryGet(symbols[left], symbols[right], out int rank, out int merged))
            queue.Enqueue(new Candidate(left, symbols[left], symbols[right], merged), Priority(rank, left));
    }

    // Lower rank first; among equal ranks, the leftmost position.
    private static long Priority(int rank, int position) => ((long)rank << 32) | (uint)position;

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private readonly record struct Candidate(int Left, int LeftId, int RightId, int Merged);
}
