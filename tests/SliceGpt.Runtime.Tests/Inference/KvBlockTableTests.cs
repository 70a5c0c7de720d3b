using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Inference.Forward;

namespace SliceGpt.Runtime.Tests.Inference;

/// <summary>The paged KV cache's bookkeeping: blocks on demand, release, sharing with copy on write, all-or-nothing refusal.</summary>
public class KvBlockTableTests
{
    private readonly List<(int Source, int Target)> _copies = [];

    [Test]
    public void Blocks_AreAssignedAsSlotsGrow_AndReturnedOnRelease()
    {
        var table = new KvBlockTable(slots: 2, maxSeqLen: 16, blockSize: 4, blocks: 6);
        var batch = Batch(table, new SequenceChunk(0, 0, 5), new SequenceChunk(1, 0, 1));
        table.Reserve(batch, Copy);
        Assert.That((table.FreeBlocks, table.Length(0), table.Length(1)), Is.EqualTo((3, 5, 1)));
        Assert.That(table.BlockOf(0, 0), Is.Not.EqualTo(table.BlockOf(0, 4)), "positions 0 and 4 lie in different blocks");
        Assert.That(table.BlockOf(0, 3), Is.EqualTo(table.BlockOf(0, 0)));
        table.Reserve(Batch(table, new SequenceChunk(0, 5, 3)), Copy);
        Assert.That((table.FreeBlocks, table.Length(0)), Is.EqualTo((3, 8)), "positions 5..7 lie in the block that holds 4");
        table.Release(0);
        Assert.That((table.FreeBlocks, table.Length(0)), Is.EqualTo((5, 0)));
        Assert.That(_copies, Is.Empty);
    }

    [Test]
    public void SharedBlocks_AreCopiedByAllButTheLastWriter()
    {
        var table = new KvBlockTable(slots: 3, maxSeqLen: 8, blockSize: 4, blocks: 8);
        table.Reserve(Batch(table, new SequenceChunk(0, 0, 6)), Copy);    // blocks for positions 0..3 and 4..5
        table.Share(0, 1, 6);
        table.Share(0, 2, 5);
        Assert.That(table.FreeBlocks, Is.EqualTo(6), "sharing takes no block");
        int shared = table.BlockOf(0, 4);
        // All three write position 5 or 6 of the shared second block: two copies, the last writer keeps the original.
        table.Reserve(Batch(table, new SequenceChunk(1, 6, 1), new SequenceChunk(2, 5, 1), new SequenceChunk(0, 6, 2)), Copy);
        Assert.That(_copies, Has.Count.EqualTo(2));
        Assert.That(_copies.Select(c => c.Source), Is.All.EqualTo(shared));
        Assert.That(table.BlockOf(0, 4), Is.EqualTo(shared));
        Assert.That(new[] { table.BlockOf(0, 4), table.BlockOf(1, 4), table.BlockOf(2, 4) }, Is.Unique);
        Assert.That(table.BlockOf(1, 0), Is.EqualTo(table.BlockOf(0, 0)), "the unwritten first block stays shared");
        Assert.That(table.FreeBlocks, Is.EqualTo(4));
        table.Release(0);
        table.Release(1);
        Assert.That(table.FreeBlocks, Is.EqualTo(6), "slot 2 still holds the shared first block and its own copy");
        table.Release(2);
        Assert.That(table.FreeBlocks, Is.EqualTo(8));
    }

    [Test]
    public void APassThatDoesNotFit_ChangesNothing()
    {
        var table = new KvBlockTable(slots: 2, maxSeqLen: 16, blockSize: 4, blocks: 3);
        table.Reserve(Batch(table, new SequenceChunk(0, 0, 4)), Copy);
        var refused = Batch(table, new SequenceChunk(0, 4, 4), new SequenceChunk(1, 0, 5));
        var e = Assert.Throws<KvCacheExhaustedException>(() => table.Reserve(refused, Copy))!;
        Assert.That((e.Needed, e.Free), Is.EqualTo((3, 2)));
        Assert.That((table.FreeBlocks, table.Length(0), table.Length(1)), Is.EqualTo((2, 4, 0)));
    }

    [Test]
    public void AChunkCannotStartPastItsSlotsEnd()
    {
        var table = new KvBlockTable(slots: 1, maxSeqLen: 16, blockSize: 4, blocks: 4);
        table.Reserve(Batch(table, new SequenceChunk(0, 0, 3)), Copy);
        Assert.That(() => table.Reserve(Batch(table, new SequenceChunk(0, 4, 1)), Copy),
            Throws.ArgumentException.With.Message.Contains("holds 3 positions"));
        Assert.That(() => table.Share(0, 0, 4), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    private void Copy(int source, int target) => _copies.Add((source, target));

    private static BatchLayout Batch(KvBlockTable table, params SequenceChunk[] chunks)
    {
        var layout = new BatchLayout(table.Slots, table.MaxSeqLen, table.Slots * table.MaxSeqLen);
        layout.Set(chunks);
        return layout;
    }
}
