using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests;

/// <summary>
/// The compiled-image cache without NVRTC: a counting stand-in compiler shows memory hits, disk hits across
/// cache instances (a new process), rejection of a corrupted file, and that failures are not cached. Runs anywhere.
/// </summary>
public sealed class KernelImageCacheTests
{
    private string _directory = null!;
    private int _compiles;

    [SetUp]
    public void CreateFolder()
    {
        _directory = Path.Combine(Path.GetTempPath(), "slicegpt-kernel-cache-" + Guid.NewGuid().ToString("N"));
        _compiles = 0;
    }

    [TearDown]
    public void DeleteFolder()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    private KernelImage Compile()
    {
        _compiles++;
        return new KernelImage([1, 2, 3, 4, (byte)_compiles], "sm_90", "");
    }

    private static string Key(string options = "") => KernelImageCache.Key("source-hash", "sm_90", [options], "12.4");

    [Test]
    public void SecondRequestHitsMemory()
    {
        var cache = new KernelImageCache(_directory);
        var first = cache.GetOrCompile(Key(), "sm_90", Compile);
        var second = cache.GetOrCompile(Key(), "sm_90", Compile);
        Assert.Multiple(() =>
        {
            Assert.That(_compiles, Is.EqualTo(1));
            Assert.That(second, Is.SameAs(first));
            Assert.That((cache.Compilations, cache.MemoryHits, cache.DiskHits), Is.EqualTo((1, 1, 0)));
        });
    }

    [Test]
    public void NewCacheOverTheSameFolderHitsDisk()
    {
        var image = new KernelImageCache(_directory).GetOrCompile(Key(), "sm_90", Compile);
        var fresh = new KernelImageCache(_directory);
        var reloaded = fresh.GetOrCompile(Key(), "sm_90", Compile);
        Assert.Multiple(() =>
        {
            Assert.That(_compiles, Is.EqualTo(1));
            Assert.That(reloaded.Image, Is.EqualTo(image.Image));
            Assert.That(reloaded.IsCubin, Is.True);
            Assert.That(fresh.DiskHits, Is.EqualTo(1));
            Assert.That(Directory.GetFiles(_directory), Has.Length.EqualTo(1).And.All.EndsWith(".cubin"));
        });
    }

    [Test]
    public void DifferentOptionsCompileSeparately()
    {
        var cache = new KernelImageCache(_directory);
        cache.GetOrCompile(Key("-lineinfo"), "sm_90", Compile);
        cache.GetOrCompile(Key(), "sm_90", Compile);
        Assert.That(_compiles, Is.EqualTo(2));
    }

    [Test]
    public void CorruptedFileIsRecompiledNotLoaded()
    {
        new KernelImageCache(_directory).GetOrCompile(Key(), "sm_90", Compile);
        var file = Directory.GetFiles(_directory).Single();
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 0xff;
        File.WriteAllBytes(file, bytes);

        var image = new KernelImageCache(_directory).GetOrCompile(Key(), "sm_90", Compile);
        Assert.Multiple(() =>
        {
            Assert.That(_compiles, Is.EqualTo(2));
            Assert.That(image.Image[^1], Is.EqualTo(2));
        });
    }

    [Test]
    public void FailedCompilationIsNotCached()
    {
        var cache = new KernelImageCache(_directory);
        Assert.Throws<InvalidOperationException>(() => cache.GetOrCompile(Key(), "sm_90", () => throw new InvalidOperationException("bad source")));
        Assert.DoesNotThrow(() => cache.GetOrCompile(Key(), "sm_90", Compile));
        Assert.That(_compiles, Is.EqualTo(1));
    }

    [Test]
    public void MemoryOnlyCacheWritesNothing()
    {
        var cache = new KernelImageCache(null);
        cache.GetOrCompile(Key(), "compute_90", () => new KernelImage([0x2e, 0], "compute_90", ""));
        Assert.That(Directory.Exists(_directory), Is.False);
    }
}
