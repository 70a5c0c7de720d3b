using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// Compiled kernel images, in memory and on disk, keyed by (source hash, target architecture, options,
/// compiler version): each distinct compilation happens once per process and, with a disk folder, once per
/// machine. Thread-safe; concurrent requests for one key compile once. Files are written to a temporary
/// sibling and renamed, and carry a checksum, so a crash or a second process never leaves a half-written
/// image that would be loaded; an unreadable folder only costs a recompilation.
/// </summary>
public sealed class KernelImageCache
{
    private static readonly byte[] Magic = "SGK1"u8.ToArray();
    private static readonly Lazy<KernelImageCache> SharedInstance = new(() => new KernelImageCache(DefaultDirectory));

    private readonly ConcurrentDictionary<string, Lazy<KernelImage>> _memory = new();
    private int _memoryHits;
    private int _diskHits;
    private int _compilations;

    /// <summary>A cache persisting in <paramref name="directory"/>, or in memory only when it is null.</summary>
    public KernelImageCache(string? directory)
    {
        Directory = directory;
    }

    /// <summary>The process-wide cache in <see cref="DefaultDirectory"/>.</summary>
    public static KernelImageCache Shared => SharedInstance.Value;

    /// <summary>$SLICEGPT_KERNEL_CACHE when set, else ~/.cache/slicegpt/kernels.</summary>
    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable("SLICEGPT_KERNEL_CACHE") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "slicegpt", "kernels");

    /// <summary>The folder images persist in, or null for a memory-only cache.</summary>
    public string? Directory { get; }

    /// <summary>Requests answered from memory.</summary>
    public int MemoryHits => Volatile.Read(ref _memoryHits);

    /// <summary>Requests answered from disk.</summary>
    public int DiskHits => Volatile.Read(ref _diskHits);

    /// <summary>Requests that had to compile.</summary>
    public int Compilations => Volatile.Read(ref _compilations);

    /// <summary>The key of one compilation: a file-name-safe SHA-256 of everything that affects the image.</summary>
    public static string Key(string sourceHash, string target, IEnumerable<string> options, string compilerVersion)
    {
        var text = string.Join('\n', new[] { sourceHash, target, compilerVersion }.Concat(options));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The image for <paramref name="key"/>, compiling with <paramref name="compile"/> on a miss.</summary>
    /// <remarks>A failed compilation is not cached: the next request compiles (and fails) again.</remarks>
    public KernelImage GetOrCompile(string key, string target, Func<KernelImage> compile)
    {
        bool created = false;
        var entry = _memory.GetOrAdd(key, _ =>
        {
            created = true;
            return new Lazy<KernelImage>(() => LoadOrCompile(key, target, compile));
        });
        if (!created)
            Interlocked.Increment(ref _memoryHits);
        try
        {
            return entry.Value;
        }
        catch
        {
            _memory.TryRemove(new KeyValuePair<string, Lazy<KernelImage>>(key, entry));
            throw;
        }
    }

    private KernelImage LoadOrCompile(string key, string target, Func<KernelImage> compile)
    {
        if (TryRead(key, target) is { } cached)
        {
            Interlocked.Increment(ref _diskHits);
            return cached;
        }
        Interlocked.Increment(ref _compilations);
        var image = compile();
        TryWrite(key, image);
        return image;
    }

    private string? PathFor(string key, string target) =>
        Directory is null ? null : Path.Combine(Directory, key + (target.StartsWith("sm_", StringComparison.Ordinal) ? ".cubin" : ".ptx"));

    private KernelImage? TryRead(string key, string target)
    {
        if (PathFor(key, target) is not { } path || !File.Exists(path))
            return null;
        try
        {
            var bytes = File.ReadAllBytes(path);
            int header = Magic.Length + 32;
            if (bytes.Length < header || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
                return null;
            var image = bytes[header..];
            if (!SHA256.HashData(image).AsSpan().SequenceEqual(bytes.AsSpan(Magic.Length, 32)))
                return null;
            return new KernelImage(image, target, "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void TryWrite(string key, KernelImage image)
    {
        if (PathFor(key, image.Target) is not { } path)
            return;
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Directory!);
            using (var file = File.Create(temporary))
            {
                file.Write(Magic);
                file.Write(SHA256.HashData(image.Image));
                file.Write(image.Image);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stray temporary file is harmless and never read.
        }
    }
}
