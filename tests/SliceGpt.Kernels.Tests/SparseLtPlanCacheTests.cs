using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests;

/// <summary>
/// The 2:4 plan cache without a GPU: the "search" is a function that counts its calls, standing in for
/// cusparseLtMatmulSearch, so these tests check the caching (one search per shape, type and layout), not cuSPARSELt.
/// </summary>
public sealed class SparseLtPlanCacheTests
{
    private static readonly SparseLtPlanKey Key = SparseLtPlanKey.For<Half>(4096, 4096, 2048, SparseLtLayout.ColumnMajorTN);
    private static readonly SparseLtAlgorithm Found = new(ConfigId: 3, MaxConfigId: 11, SplitK: 2, SplitKMode: 2, SplitKBuffers: 1);

    [Test]
    public void EachKeyIsSearchedOnce()
    {
        var cache = new SparseLtPlanCache();
        int calls = 0;
        var first = cache.GetOrSearch(Key, () => { calls++; return Found; });
        var second = cache.GetOrSearch(Key, () => { calls++; return Found with { ConfigId = 9 }; });
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(Found));
            Assert.That(second, Is.EqualTo(Found), "the cached choice, not a second search's");
            Assert.That(calls, Is.EqualTo(1));
            Assert.That(cache.Searches, Is.EqualTo(1));
            Assert.That(cache.Count, Is.EqualTo(1));
            Assert.That(cache.TryGet(Key, out var cached) && cached == Found, Is.True);
        });
    }

    [Test]
    public void ShapeTypeAndLayoutEachMakeADifferentKey()
    {
        var cache = new SparseLtPlanCache();
        var keys = new[]
        {
            Key,
            Key with { Rows = 8 },
            Key with { OutFeatures = 11008 },
            Key with { InFeatures = 11008 },
            SparseLtPlanKey.For<BFloat16>(4096, 4096, 2048, SparseLtLayout.ColumnMajorTN),
            Key with { Layout = SparseLtLayout.RowMajorWeightFirst },
            Key with { Layout = SparseLtLayout.ColumnMajorTN with { WeightTransposed = true } },
        };
        int calls = 0;
        foreach (var key in keys.Concat(keys))
            cache.GetOrSearch(key, () => Found with { ConfigId = calls++ });
        Assert.Multiple(() =>
        {
            Assert.That(calls, Is.EqualTo(keys.Length), "each distinct key searched once, the repeats hit");
            Assert.That(cache.Count, Is.EqualTo(keys.Length));
            Assert.That(keys.Select(k => cache.TryGet(k, out var a) ? a.ConfigId : -1), Is.EquivalentTo(Enumerable.Range(0, keys.Length)));
        });
    }

    [Test]
    public void AFailedSearchCachesNothingAndIsRetried()
    {
        var cache = new SparseLtPlanCache();
        Assert.Throws<InvalidOperationException>(() => cache.GetOrSearch(Key, () => throw new InvalidOperationException("no kernel")));
        Assert.That(cache.TryGet(Key, out _), Is.False);
        Assert.That(cache.GetOrSearch(Key, () => Found), Is.EqualTo(Found));
        Assert.That(cache.Searches, Is.EqualTo(2));
    }

    [Test]
    public void ConcurrentCallersOfOneKeyShareOneSearch()
    {
        var cache = new SparseLtPlanCache();
        int calls = 0;
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            start.Wait();
            return cache.GetOrSearch(Key, () =>
            {
                Interlocked.Increment(ref calls);
                Thread.Sleep(50); // a search takes time: the other callers arrive while it runs
                return Found;
            });
        })).ToArray();
        start.Set();
        Task.WaitAll(tasks);
        Assert.Multiple(() =>
        {
            Assert.That(calls, Is.EqualTo(1));
            Assert.That(tasks.Select(t => t.Result), Is.All.EqualTo(Found));
        });
    }

    [Test]
    public void SetReplacesAndEntriesAreOrderedByShape()
    {
        var cache = new SparseLtPlanCache();
        var small = Key with { Rows = 8 };
        cache.Set(Key, Found);
        cache.Set(small, Found);
        cache.Set(Key, Found with { ConfigId = 5 });
        var entries = cache.Entries();
        Assert.Multiple(() =>
        {
            Assert.That(entries.Select(e => e.Key), Is.EqualTo(new[] { small, Key }));
            Assert.That(entries[1].Value.ConfigId, Is.EqualTo(5));
            Assert.That(cache.Searches, Is.Zero, "Set is not a search");
        });
    }

    [Test]
    public void KeysAndAlgorithmsDescribeThemselves()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Key.ToString(), Is.EqualTo("2048x4096x4096 Half A=W(col,T) B=X(col,N) D(col)"));
            Assert.That(Found.ToString(), Is.EqualTo("config 3/11, split-K 2 (two kernels)"));
            Assert.That((Found with { SplitK = 1 }).ToString(), Is.EqualTo("config 3/11"));
        });
    }

    [Test]
    public void AnUndefinedLayoutIsNotCached() =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new SparseLtPlanCache().Set(Key with { Layout = SparseLtLayout.ColumnMajorTN with { WeightOrder = (SparseLtOrder)9 } }, Found));
}
