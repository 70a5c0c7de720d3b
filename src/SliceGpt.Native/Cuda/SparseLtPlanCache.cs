namespace SliceGpt.Native.Cuda;

/// <summary>What identifies a cuSPARSELt plan: the layer's shape, the element type and the <see cref="SparseLtLayout"/>.</summary>
/// <param name="OutFeatures">The weight's outputs.</param>
/// <param name="InFeatures">The weight's inputs (the reduction).</param>
/// <param name="Rows">Activation rows per product.</param>
/// <param name="ElementType">The storage type's name ("Half" or "BFloat16").</param>
/// <param name="Layout">How the product is posed to cuSPARSELt.</param>
public readonly record struct SparseLtPlanKey(int OutFeatures, int InFeatures, int Rows, string ElementType, SparseLtLayout Layout)
{
    /// <summary>The key of a <typeparamref name="T"/> product.</summary>
    public static SparseLtPlanKey For<T>(int outFeatures, int inFeatures, int rows, SparseLtLayout layout) where T : unmanaged =>
        new(outFeatures, inFeatures, rows, typeof(T).Name, layout);

    /// <inheritdoc/>
    public override string ToString() => $"{Rows}x{OutFeatures}x{InFeatures} {ElementType} {Layout.Name}";
}

/// <summary>
/// The algorithm configuration cuSPARSELt runs a plan with (cusparseLtMatmulAlgAttribute_t values), as
/// <c>cusparseLtMatmulSearch</c> chose it or as the default heuristic left it.
/// </summary>
/// <param name="ConfigId">CUSPARSELT_MATMUL_ALG_CONFIG_ID: the kernel configuration, in [0, <paramref name="MaxConfigId"/>]
/// (every field is −1 when the library would not report it).</param>
/// <param name="MaxConfigId">CUSPARSELT_MATMUL_ALG_CONFIG_MAX_ID: the largest configuration id for this problem.</param>
/// <param name="SplitK">CUSPARSELT_MATMUL_SPLIT_K: slices of the reduction (1: none; other values below 1: not set).</param>
/// <param name="SplitKMode">CUSPARSELT_MATMUL_SPLIT_K_MODE (cusparseLtSplitKMode_t: 1 one kernel, 2 two kernels; 0 not set).</param>
/// <param name="SplitKBuffers">CUSPARSELT_MATMUL_SPLIT_K_BUFFERS: device buffers for the partial results (0: not set).</param>
public readonly record struct SparseLtAlgorithm(int ConfigId, int MaxConfigId, int SplitK, int SplitKMode, int SplitKBuffers)
{
    /// <summary>True when the configuration splits the reduction.</summary>
    public bool UsesSplitK => SplitK > 1;

    /// <inheritdoc/>
    public override string ToString() =>
        $"config {ConfigId}/{MaxConfigId}" + (UsesSplitK ? $", split-K {SplitK} ({(SplitKMode == 2 ? "two kernels" : "one kernel")})" : "");
}

/// <summary>
/// Remembers the algorithm <c>cusparseLtMatmulSearch</c> chose for each <see cref="SparseLtPlanKey"/>, so that each shape is
/// searched once per process: the search times every configuration several times (milliseconds to seconds), which a
/// second weight of the same shape (another layer, another benchmark case) need not repeat. Thread-safe; a search for a
/// key runs at most once even when several threads ask for it at the same time.
/// </summary>
public sealed class SparseLtPlanCache
{
    private readonly Dictionary<SparseLtPlanKey, SparseLtAlgorithm> _plans = [];
    private readonly Lock _lock = new();
    private int _searches;

    /// <summary>Plans cached.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _plans.Count;
        }
    }

    /// <summary>Searches run through <see cref="GetOrSearch"/> (a search that threw is counted and not cached).</summary>
    public int Searches => Volatile.Read(ref _searches);

    /// <summary>The cached algorithm of <paramref name="key"/>, if any.</summary>
    public bool TryGet(SparseLtPlanKey key, out SparseLtAlgorithm algorithm)
    {
        lock (_lock)
            return _plans.TryGetValue(key, out algorithm);
    }

    /// <summary>Records <paramref name="algorithm"/> for <paramref name="key"/>, replacing any earlier entry.</summary>
    public void Set(SparseLtPlanKey key, SparseLtAlgorithm algorithm)
    {
        key.Layout.Validate();
        lock (_lock)
            _plans[key] = algorithm;
    }

    /// <summary>
    /// The cached algorithm of <paramref name="key"/>; on a miss, runs <paramref name="search"/> once (holding the cache's
    /// lock: searches on one GPU would only slow each other down) and caches its result. A search that throws caches
    /// nothing, so a later call tries again.
    /// </summary>
    public SparseLtAlgorithm GetOrSearch(SparseLtPlanKey key, Func<SparseLtAlgorithm> search)
    {
        ArgumentNullException.ThrowIfNull(search);
        key.Layout.Validate();
        lock (_lock)
        {
            if (_plans.TryGetValue(key, out var cached))
                return cached;
            Interlocked.Increment(ref _searches);
            var found = search();
            _plans[key] = found;
            return found;
        }
    }

    /// <summary>Every cached entry, ordered by shape, then element type, then layout name (for reports).</summary>
    public IReadOnlyList<KeyValuePair<SparseLtPlanKey, SparseLtAlgorithm>> Entries()
    {
        lock (_lock)
            return [.. _plans.OrderBy(e => e.Key.Rows).ThenBy(e => e.Key.OutFeatures).ThenBy(e => e.Key.InFeatures)
                .ThenBy(e => e.Key.ElementType, StringComparer.Ordinal).ThenBy(e => e.Key.Layout.Name, StringComparer.Ordinal)];
    }
}
