using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels;

/// <summary>
/// The engine's CUDA kernels for one <see cref="CudaContext"/>, grouped by op family. Kernels compile (NVRTC)
/// and load on first use, once per context; <see cref="Precompile"/> does it up front. Every launcher checks
/// shapes and extents in C# before launching, computes the launch geometry, and queues on the stream it is
/// given. Launchers allocate nothing per call; the object is safe to share between threads (each thread
/// with its own stream and buffers).
/// </summary>
public sealed class CudaKernels : IDisposable
{
    private readonly bool _ownsModules;

    /// <summary>Creates the kernel set; <paramref name="modules"/> defaults to a new cache for the context.</summary>
    /// <exception cref="CudaUnavailableException">NVRTC is not installed.</exception>
    public CudaKernels(CudaContext context, KernelModuleCache? modules = null)
    {
        if (modules is not null && !ReferenceEquals(modules.Context, context))
            throw new ArgumentException("the module cache belongs to another context", nameof(modules));
        Context = context;
        _ownsModules = modules is null;
        Modules = modules ?? new KernelModuleCache(context);
        Embedding = new EmbeddingKernels(this);
        Norm = new NormKernels(this);
        Rope = new RopeKernels(this);
        KvCache = new KvCacheKernels(this);
        Attention = new AttentionKernels(this);
        Activation = new ActivationKernels(this);
        Elementwise = new ElementwiseKernels(this);
        Convert = new ConvertKernels(this);
        Loss = new LossKernels(this);
    }

    /// <summary>The context the kernels run in.</summary>
    public CudaContext Context { get; }

    /// <summary>Where the compiled modules live.</summary>
    public KernelModuleCache Modules { get; }

    /// <summary>Token and position embedding gather.</summary>
    public EmbeddingKernels Embedding { get; }

    /// <summary>RMSNorm and LayerNorm.</summary>
    public NormKernels Norm { get; }

    /// <summary>Rotary position embedding.</summary>
    public RopeKernels Rope { get; }

    /// <summary>KV-cache append.</summary>
    public KvCacheKernels KvCache { get; }

    /// <summary>Causal attention over the KV cache (prefill and decode).</summary>
    public AttentionKernels Attention { get; }

    /// <summary>SiLU-gated product, gelu_new, ReLU.</summary>
    public ActivationKernels Activation { get; }

    /// <summary>Bias add and residual add.</summary>
    public ElementwiseKernels Elementwise { get; }

    /// <summary>dtype conversions.</summary>
    public ConvertKernels Convert { get; }

    /// <summary>Per-row negative log-likelihood and argmax.</summary>
    public LossKernels Loss { get; }

    /// <summary>Every kernel family: its source file and the entry points its launcher uses.</summary>
    public static IReadOnlyList<KernelFamily> Catalog { get; } =
    [
        EmbeddingKernels.Family, NormKernels.Family, RopeKernels.Family, KvCacheKernels.Family,
        AttentionKernels.Family, ActivationKernels.Family, ElementwiseKernels.Family, ConvertKernels.Family,
        LossKernels.Family,
    ];

    /// <summary>Compiles (or loads from the cache) and loads every kernel module now.</summary>
    public void Precompile()
    {
        foreach (var family in Catalog)
        {
            var source = KernelSources.Get(family.SourceFile);
            foreach (var entry in family.EntryPoints)
                Modules.GetFunction(source, entry);
        }
    }

    /// <summary>Unloads the modules when this object created their cache.</summary>
    public void Dispose()
    {
        if (_ownsModules)
            Modules.Dispose();
    }
}

/// <summary>A kernel family: one .cu file and the entry points its launcher calls.</summary>
/// <param name="SourceFile">The embedded source, e.g. "norm.cu".</param>
/// <param name="EntryPoints">Every <c>extern "C"</c> kernel the launcher may launch.</param>
public sealed record KernelFamily(string SourceFile, IReadOnlyList<string> EntryPoints)
{
    internal static KernelFamily Of(string file, params string[] baseNames) =>
        new(file, baseNames.SelectMany(KernelEntry.Names).ToList());
}
