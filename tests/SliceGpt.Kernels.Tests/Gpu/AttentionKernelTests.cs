using SliceGpt.Kernels.Tests.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests.Gpu;

/// <summary>KV-cache append and causal attention (prefill and split decode) against CpuSession's semantics.</summary>
public sealed class AttentionKernelTests : GpuTestBase
{
    // fp32 online softmax: expf within 2 ulp, and sums over up to ~3000 keys in a different order than the
    // reference (relative error ~1e-6 typical, 1e-4 in the worst case); outputs are averages of values
    // in [-1, 1]. Half/bf16 inputs are rounded before the reference sees them; their outputs round once more.
    private static readonly Tolerance F32 = new(2e-5, 1e-4);

    [TestCase(StorageType.F32)]
    [TestCase(StorageType.F16)]
    [TestCase(StorageType.Bf16)]
    public void PrefillAppendsToTheCacheAndAttendsCausally(StorageType type) =>
        Storage.For(type, Prefill<float>, Prefill<Half>, Prefill<BFloat16>);

    private void Prefill<T>() where T : unmanaged
    {
        // Two sequences continuing at position 3 (the cache already holds positions 0..2), GQA 6/2, head 80.
        const int batch = 2, seqLen = 5, startPos = 3, maxSeq = 16, nHeads = 6, nKvHeads = 2, headDim = 80;
        const int rows = batch * seqLen, qDim = nHeads * headDim, kvDim = nKvHeads * headDim;
        var qkv = Storage.Representable<T>(TestData.Uniform(rows * (qDim + 2 * kvDim), 30));
        var keys = Storage.Representable<T>(TestData.Uniform(batch * maxSeq * kvDim, 31));
        var values = Storage.Representable<T>(TestData.Uniform(batch * maxSeq * kvDim, 32));
        var positions = Enumerable.Range(0, rows).Select(r => startPos + r % seqLen).ToArray();
        using var dQkv = UploadAs<T>(qkv);
        using var dKeys = UploadAs<T>(keys);
        using var dValues = UploadAs<T>(values);
        using var dPositions = Upload(positions);
        using var output = Context.Allocate<T>(rows * qDim);

        Kernels.KvCache.Append<T>(Stream, dQkv, dPositions, dKeys, dValues, rows, seqLen, nHeads, nKvHeads, headDim, batch, maxSeq);
        Kernels.Attention.Attend<T>(Stream, dQkv, dKeys, dValues, dPositions, output, default, rows, seqLen, nHeads,
            nKvHeads, headDim, batch, maxSeq, startPos + seqLen - 1);

        ReferenceOps.KvAppend(qkv, rows, seqLen, qDim, kvDim, positions, keys, values, maxSeq);
        Assert.That(Download(dKeys), Is.EqualTo(keys), "the key cache holds exactly the appended keys");
        Assert.That(Download(dValues), Is.EqualTo(values), "the value cache holds exactly the appended values");
        var expected = ReferenceOps.Attention(qkv, keys, values, positions, rows, seqLen, nHeads, nKvHeads, headDim, maxSeq);
        Tolerance.ForStorage(Storage.TypeOf<T>(), F32).AssertClose(expected, Download(output), $"prefill attention {typeof(T).Name}");
    }

    [TestCase(64, 3000)]
    [TestCase(128, 700)]
    [TestCase(256, 257)]
    public void LongDecodeSplitsTheKeysAndMatchesTheUnsplitResult(int headDim, int position)
    {
        // One new token per sequence over a long cache: few (row, head) blocks, so the launcher splits the
        // key range when given a workspace; without one it runs a single split. Both must match the reference.
        const int batch = 2, nHeads = 4, nKvHeads = 1, maxSeq = 3072;
        int rows = batch, qDim = nHeads * headDim, kvDim = nKvHeads * headDim;
        var qkv = TestData.Uniform(rows * (qDim + 2 * kvDim), 40);
        var keys = TestData.Uniform(batch * maxSeq * kvDim, 41, 2f);
        var values = TestData.Uniform(batch * maxSeq * kvDim, 42);
        int[] positions = [position, position / 2];
        using var dQkv = UploadAs<float>(qkv);
        using var dKeys = UploadAs<float>(keys);
        using var dValues = UploadAs<float>(values);
        using var dPositions = Upload(positions);
        using var split = Context.Allocate<float>(rows * qDim);
        using var single = Context.Allocate<float>(rows * qDim);
        using var workspace = Context.Allocate<float>(AttentionKernels.WorkspaceLength(rows, nHeads, headDim, 64));

        Kernels.Attention.Attend<float>(Stream, dQkv, dKeys, dValues, dPositions, split, workspace, rows, 1, nHeads,
            nKvHeads, headDim, batch, maxSeq, position);
        Kernels.Attention.Attend<float>(Stream, dQkv, dKeys, dValues, dPositions, single, default, rows, 1, nHeads,
            nKvHeads, headDim, batch, maxSeq, position);

        var expected = ReferenceOps.Attention(qkv, keys, values, positions, rows, 1, nHeads, nKvHeads, headDim, maxSeq);
        F32.AssertClose(expected, Download(split), $"split decode, head {headDim}, position {position}");
        F32.AssertClose(expected, Download(single), $"single-split decode, head {headDim}, position {position}");
    }

    [Test]
    public void PositionOutsideTheCacheGivesNaN()
    {
        const int headDim = 32, maxSeq = 8;
        using var qkv = UploadAs<float>(TestData.Uniform(3 * headDim, 43));
        using var cache = UploadAs<float>(TestData.Uniform(maxSeq * headDim, 44));
        using var positions = Upload(new[] { maxSeq + 5 });
        using var output = Context.Allocate<float>(headDim);
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.Attention.Attend<float>(Stream, qkv, cache, cache, positions,
            output, default, 1, 1, 1, 1, headDim, 1, maxSeq, maxSeq), "the host bound is checked in C#");
        Kernels.Attention.Attend<float>(Stream, qkv, cache, cache, positions, output, default, 1, 1, 1, 1, headDim, 1, maxSeq, maxSeq - 1);
        Assert.That(Download(output), Has.All.NaN, "a device-side position beyond the cache is reported, never read");
    }
}
