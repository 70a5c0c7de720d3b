using System.Diagnostics;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Cuda;

namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>A case cannot run on this GPU for an expected reason (the model or the batch does not fit); not a failure.</summary>
internal sealed class CaseSkippedException(string reason) : Exception(reason);

/// <summary>A synthetic model on the GPU in fp16, with the shapes it was built from.</summary>
internal sealed class LoadedModel(ModelBlueprint blueprint, CudaExecutableModel<Half> model) : IDisposable
{
    /// <summary>The shapes.</summary>
    public ModelBlueprint Blueprint { get; } = blueprint;

    /// <summary>The device weights, a copy per block.</summary>
    public CudaExecutableModel<Half> Model { get; } = model;

    /// <inheritdoc/>
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// The end-to-end suites' GPU: one <see cref="CudaBackend"/> (fp16) for the process, and the model the current cases
/// use. Cases run model by model (see <see cref="EndToEndSuite"/>), so each variant is built and uploaded once per run;
/// the previous model is freed first, leaving the whole device to the next one's batches.
/// </summary>
internal static class EndToEndModels
{
    /// <summary>The published config whose shapes the suites use (through the engine's LLAMA adapter).</summary>
    public const string ModelName = "llama-2-7b";

    // Room left beside the weights when deciding whether a model fits: cuBLAS workspaces, the kernels, a small session.
    private const long ReserveBytes = 2L << 30;

    private static readonly Lock StartLock = new();
    private static readonly Dictionary<ModelVariant, ModelBlueprint> Blueprints = [];
    private static readonly Dictionary<ModelVariant, string> LoadFailures = [];
    private static CudaBackend? _backend;
    private static Exception? _startFailure;
    private static LoadedModel? _current;

    /// <summary>The shapes of LLAMA-2 7B under <paramref name="variant"/>; pure, no GPU.</summary>
    public static ModelBlueprint Blueprint(ModelVariant variant)
    {
        lock (StartLock)
        {
            if (!Blueprints.TryGetValue(variant, out var blueprint))
                Blueprints[variant] = blueprint = ModelBlueprint.Of(PublishedModels.Config(ModelName), variant);
            return blueprint;
        }
    }

    /// <summary>The backend if one was started (for reports), else null.</summary>
    public static CudaBackend? Current
    {
        get
        {
            lock (StartLock)
                return _backend;
        }
    }

    /// <summary>The process's fp16 backend, started on first use (compiles or loads the kernels).</summary>
    /// <exception cref="GpuUnavailableException">No usable GPU; remembered, so later cases fail at once with the same reason.</exception>
    public static CudaBackend Backend()
    {
        lock (StartLock)
        {
            if (_backend is not null)
                return _backend;
            if (_startFailure is not null)
                throw new GpuUnavailableException(_startFailure);
            try
            {
                var clock = Stopwatch.StartNew();
                _backend = new CudaBackend(0, CudaPrecision.Float16);
                Console.WriteLine($"// SliceGpt.Bench: CUDA backend ready in {clock.Elapsed.TotalSeconds:F1} s: {_backend.Description}");
                return _backend;
            }
            catch (Exception e) when (e is CudaUnavailableException or CudaException or NvrtcCompilationException)
            {
                _startFailure = e;
                throw new GpuUnavailableException(e);
            }
        }
    }

    /// <summary>
    /// <paramref name="variant"/>'s model on the GPU: the one already there, or (after freeing it) a new random host
    /// model uploaded with a device copy per block. Build and upload times go to <see cref="EndToEndResults"/>.
    /// </summary>
    /// <exception cref="CaseSkippedException">The weights do not fit in the free device memory.</exception>
    public static LoadedModel Load(ModelVariant variant)
    {
        var backend = Backend();
        lock (StartLock)
        {
            if (_current?.Blueprint.Variant == variant)
                return _current;
            if (LoadFailures.TryGetValue(variant, out var failure))
                throw new CaseSkippedException(failure);
            ReleaseModelLocked();
            var blueprint = Blueprint(variant);
            long needed = blueprint.Parameters * sizeof(short);
            var (free, _) = backend.Context.MemoryInfo();
            if (needed + ReserveBytes > free)
                return Fail(variant, $"{variant.Label()} does not fit: its fp16 weights need {Gib(needed)} GiB (+{Gib(ReserveBytes)} GiB reserve), {Gib(free)} GiB are free");
            var (model, load) = BuildAndUpload(backend, blueprint);
            if (model is null)
                return Fail(variant, load.Failure!);
            _current = new LoadedModel(blueprint, model);
            EndToEndResults.RecordLoad(load);
            Console.WriteLine($"// SliceGpt.Bench: {variant.Label()}: host model {Gib(load.HostBytes)} GiB built in {load.HostBuildSeconds:F1} s, " +
                              $"{Gib(load.DeviceBytes)} GiB of fp16 weights uploaded in {load.UploadSeconds:F1} s");
            // The host model (about 2 GB) is garbage now: collect it before anything is timed.
            GC.Collect();
            return _current;
        }
    }

    // In its own method so that the host model is unreachable once it returns.
    private static (CudaExecutableModel<Half>? Model, ModelLoad Load) BuildAndUpload(CudaBackend backend, ModelBlueprint blueprint)
    {
        var variant = blueprint.Variant;
        var clock = Stopwatch.StartNew();
        var host = SyntheticModel.Create(blueprint, seed: 1);
        double buildSeconds = clock.Elapsed.TotalSeconds;
        long hostBytes = SyntheticModel.DistinctHostBytes(host);
        clock.Restart();
        try
        {
            var model = (CudaExecutableModel<Half>)backend.Prepare(host, CudaPrecision.Float16, shareRepeatedTensors: false);
            double uploadSeconds = clock.Elapsed.TotalSeconds;
            return (model, new ModelLoad(variant, buildSeconds, hostBytes, uploadSeconds, model.WeightBytes,
                backend.Context.MemoryInfo().FreeBytes, null));
        }
        catch (CudaException e) when (e.StatusCode == (int)CuResult.OutOfMemory)
        {
            return (null, new ModelLoad(variant, buildSeconds, hostBytes, double.NaN, 0, 0, $"{variant.Label()} does not fit: {e.Message}"));
        }
    }

    /// <summary>Frees the current model's device memory (before the slicing suite, say).</summary>
    public static void ReleaseModel()
    {
        lock (StartLock)
            ReleaseModelLocked();
    }

    /// <summary>Frees the model and the backend (end of the run).</summary>
    public static void DisposeAll()
    {
        lock (StartLock)
        {
            ReleaseModelLocked();
            _backend?.Dispose();
            _backend = null;
        }
    }

    private static LoadedModel Fail(ModelVariant variant, string reason)
    {
        LoadFailures[variant] = reason;
        EndToEndResults.RecordLoad(new ModelLoad(variant, double.NaN, 0, double.NaN, 0, 0, reason));
        throw new CaseSkippedException(reason);
    }

    private static void ReleaseModelLocked()
    {
        _current?.Dispose();
        _current = null;
    }

    private static string Gib(long bytes) => (bytes / (double)(1L << 30)).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
}
