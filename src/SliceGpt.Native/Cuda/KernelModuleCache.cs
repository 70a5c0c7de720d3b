using System.Collections.Concurrent;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// Kernel functions of one <see cref="CudaContext"/>, compiled and loaded on first use: each (source hash,
/// entry, architecture, options) is compiled once (through <see cref="KernelImageCache"/>, in memory and on
/// disk) and its module loaded once into the context. Thread-safe. Disposing it unloads its modules; the
/// context also unloads them when it is disposed first.
/// </summary>
public sealed class KernelModuleCache : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<CudaModule>> _modules = new();
    private readonly ConcurrentDictionary<(string SourceHash, string Entry), CudaFunction> _functions = new();
    private readonly KernelImageCache _images;
    private readonly NvrtcCompiler _compiler;
    private readonly IReadOnlyList<string> _options;
    private int _disposed;

    /// <summary>Creates the cache for <paramref name="context"/>.</summary>
    /// <param name="context">Where modules are loaded.</param>
    /// <param name="images">Compiled images; defaults to <see cref="KernelImageCache.Shared"/>.</param>
    /// <param name="compiler">Defaults to <see cref="NvrtcCompiler.Shared"/>.</param>
    /// <param name="options">NVRTC options beyond the architecture and -std=c++17 (part of the cache key).</param>
    /// <exception cref="CudaUnavailableException">NVRTC is not installed.</exception>
    public KernelModuleCache(CudaContext context, KernelImageCache? images = null, NvrtcCompiler? compiler = null,
        IReadOnlyList<string>? options = null)
    {
        Context = context;
        _images = images ?? KernelImageCache.Shared;
        _compiler = compiler ?? NvrtcCompiler.Shared;
        _options = options ?? [];
        Target = _compiler.TargetFor(context.Device.Architecture);
    }

    /// <summary>The context modules are loaded into.</summary>
    public CudaContext Context { get; }

    /// <summary>What the kernels are compiled for ("sm_90", or "compute_XY" PTX for a GPU newer than NVRTC).</summary>
    public string Target { get; }

    /// <summary>The kernel <paramref name="entry"/> of <paramref name="source"/>, compiling and loading on first use.</summary>
    /// <exception cref="NvrtcCompilationException">The source does not compile.</exception>
    /// <exception cref="CudaException">Loading failed or the entry point does not exist.</exception>
    public CudaFunction GetFunction(KernelSource source, string entry)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_functions.TryGetValue((source.Hash, entry), out var function))
            return function;
        return _functions.GetOrAdd((source.Hash, entry), _ => GetModule(source).GetFunction(entry));
    }

    /// <summary>The loaded module of <paramref name="source"/>.</summary>
    public CudaModule GetModule(KernelSource source)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var lazy = _modules.GetOrAdd(source.Hash, _ => new Lazy<CudaModule>(() => Load(source)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            _modules.TryRemove(new KeyValuePair<string, Lazy<CudaModule>>(source.Hash, lazy));
            throw;
        }
    }

    /// <summary>Unloads every module this cache loaded.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _functions.Clear();
        foreach (var module in _modules.Values.Where(m => m.IsValueCreated))
            module.Value.Dispose();
        _modules.Clear();
    }

    private CudaModule Load(KernelSource source)
    {
        var key = KernelImageCache.Key(source.Hash, Target, _options, _compiler.Version.ToString());
        var image = _images.GetOrCompile(key, Target, () => _compiler.Compile(source, Target, _options));
        return new CudaModule(Context, image);
    }
}
