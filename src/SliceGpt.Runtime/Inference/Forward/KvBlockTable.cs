namespace SliceGpt.Runtime.Inference.Forward;

/// <summary>
/// A paged KV cache's bookkeeping (vLLM's PagedAttention, Kwon et al. 2023), the same on every device: the cache is a
/// pool of fixed-size blocks of positions; each slot (sequence) has a block table mapping its positions to blocks,
/// filled on demand as its chunks run and returned by <see cref="Release"/>. Slots may share blocks
/// (<see cref="Share"/>: a prompt run once and continued in several slots); a shared block is copied before it is
/// written (copy on write). Every check happens before any state changes, so a refused pass leaves the table as it was.
/// Not thread-safe: the session that owns it is not either.
/// </summary>
internal sealed class KvBlockTable
{
    private readonly int[] _table;     // (slots, blocksPerSlot) block ids, −1 where none is assigned
    private readonly int[] _assigned;  // (slots) leading table entries in use
    private readonly int[] _length;    // (slots) positions holding valid keys and values
    private readonly int[] _refCount;  // (blocks) slots using each block
    private readonly int[] _free;      // (blocks) a stack of free block ids
    private readonly int[] _needed;    // (slots) scratch of Reserve
    private readonly int[] _refScratch; // (blocks) scratch of Reserve: reference counts as the pass's copies leave them
    private int _freeCount;

    public KvBlockTable(int slots, int maxSeqLen, int blockSize, int blocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        Slots = slots;
        MaxSeqLen = maxSeqLen;
        BlockSize = blockSize;
        Blocks = blocks;
        BlocksPerSlot = (maxSeqLen + blockSize - 1) / blockSize;
        _table = new int[checked(slots * BlocksPerSlot)];
        Array.Fill(_table, -1);
        _assigned = new int[slots];
        _length = new int[slots];
        _refCount = new int[blocks];
        _free = new int[blocks];
        for (int b = 0; b < blocks; b++)
            _free[b] = blocks - 1 - b; // block 0 on top: a fresh table hands out 0, 1, 2, …
        _freeCount = blocks;
        _needed = new int[slots];
        _refScratch = new int[blocks];
    }

    public int Slots { get; }

    public int MaxSeqLen { get; }

    /// <summary>Positions per block.</summary>
    public int BlockSize { get; }

    /// <summary>Blocks in the pool.</summary>
    public int Blocks { get; }

    /// <summary>Table entries per slot: enough blocks for <see cref="MaxSeqLen"/> positions.</summary>
    public int BlocksPerSlot { get; }

    /// <summary>Blocks no slot uses.</summary>
    public int FreeBlocks => _freeCount;

    /// <summary>Positions of <paramref name="slot"/> holding valid keys and values.</summary>
    public int Length(int slot) => _length[slot];

    /// <summary>The block holding <paramref name="position"/> of <paramref name="slot"/> (assigned by <see cref="Reserve"/>).</summary>
    public int BlockOf(int slot, int position) => _table[slot * BlocksPerSlot + position / BlockSize];

    /// <summary>Blocks that a slot of <paramref name="length"/> positions needs.</summary>
    public int BlocksFor(int length) => (length + BlockSize - 1) / BlockSize;

    /// <summary>
    /// Makes every position the pass writes belong to a block its slot owns alone: assigns free blocks where the slot has
    /// none and copies shared blocks it writes into (<paramref name="copyBlock"/>(source, target) copies one block's
    /// keys and values in every layer). Then records each slot's new length (a chunk that starts earlier rewinds it).
    /// </summary>
    /// <exception cref="ArgumentException">A chunk starts after its slot's length (it would attend to positions never written).</exception>
    /// <exception cref="KvCacheExhaustedException">Not enough free blocks; nothing was changed.</exception>
    public void Reserve(BatchLayout batch, Action<int, int> copyBlock)
    {
        // Count first, simulating the copies in pass order: the last slot to write a shared block finds it its own.
        int total = 0;
        Array.Copy(_refCount, _refScratch, Blocks);
        for (int i = 0; i < batch.Count; i++)
        {
            var c = batch[i];
            if (c.Start > _length[c.Slot])
                throw new ArgumentException($"chunk {i}: slot {c.Slot} holds {_length[c.Slot]} positions; a chunk cannot start at {c.Start}");
            int needed = 0;
            for (int k = c.Start / BlockSize; k < BlocksFor(c.End); k++)
            {
                if (k >= _assigned[c.Slot])
                    needed++;
                else if (_refScratch[_table[c.Slot * BlocksPerSlot + k]] > 1)
                {
                    needed++;
                    _refScratch[_table[c.Slot * BlocksPerSlot + k]]--;
                }
            }
            _needed[i] = needed;
            total += needed;
        }
        if (total > _freeCount)
            throw new KvCacheExhaustedException(total, _freeCount, Blocks, BlockSize);
        for (int i = 0; i < batch.Count; i++)
        {
            var c = batch[i];
            if (_needed[i] > 0)
            {
                for (int k = c.Start / BlockSize; k < BlocksFor(c.End); k++)
                {
                    ref int entry = ref _table[c.Slot * BlocksPerSlot + k];
                    if (k >= _assigned[c.Slot])
                    {
                        entry = Pop();
                        _assigned[c.Slot] = k + 1;
                    }
                    else if (_refCount[entry] > 1)
                    {
                        int copy = Pop();
                        copyBlock(entry, copy);
                        _refCount[entry]--;
                        entry = copy;
                    }
                }
            }
            _length[c.Slot] = c.End;
        }
    }

    /// <summary>Returns every block of <paramref name="slot"/> to the pool; its length becomes 0.</summary>
    public void Release(int slot)
    {
        for (int k = 0; k < _assigned[slot]; k++)
        {
            ref int entry = ref _table[slot * BlocksPerSlot + k];
            if (--_refCount[entry] == 0)
                _free[_freeCount++] = entry;
            entry = -1;
        }
        _assigned[slot] = 0;
        _length[slot] = 0;
    }

    /// <summary>
    /// Releases <paramref name="target"/>, then gives it the blocks holding positions [0, <paramref name="length"/>) of
    /// <paramref name="source"/>, shared: no keys are copied until one of the two writes into a shared block.
    /// </summary>
    public void Share(int source, int target, int length)
    {
        if (length > _length[source])
            throw new ArgumentOutOfRangeException(nameof(length), length, $"slot {source} holds {_length[source]} positions");
        Release(target);
        int blocks = BlocksFor(length);
        for (int k = 0; k < blocks; k++)
        {
            int block = _table[source * BlocksPerSlot + k];
            _table[target * BlocksPerSlot + k] = block;
            _refCount[block]++;
        }
        _assigned[target] = blocks;
        _length[target] = length;
    }

    private int Pop()
    {
        int block = _free[--_freeCount];
        _refCount[block] = 1;
        return block;
    }
}
