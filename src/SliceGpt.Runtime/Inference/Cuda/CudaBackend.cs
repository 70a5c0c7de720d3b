using SliceGpt.Kernels;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>
/// The GPU backend: cuBLAS GEMMs and the engine's CUDA kernels on one NVIDIA GPU. There is no fallback to
/// the CPU: without a usable GPU the constructor throws, and every result names this backend. Thread-safe;
/// dispose it when done (models prepared from it keep the GPU context alive until they are disposed too).
/// </summary>
public sealed class CudaBackend : IComputeBackend
{
    private readonly CudaDevice _device;
    private int _disposed;

    /// <summary>Opens GPU <paramref name="deviceOrdinal"/> and compiles the kernels (cached on disk after the first run).</summary>
    /// <param name="deviceOrdinal">The GPU, as CUDA_VISIBLE_DEVICES presents them.</param>
    /// <param name="defaultPrecision">The storage precision of <see cref="Prepare(TransformerModel{float})"/>.</param>
    /// <exception cref="CudaUnavailableException">No CUDA driver, no GPU, or cuBLAS/NVRTC missing; the message lists what was tried.</exception>
    /// <exception cref="ArgumentOutOfRangeException">No GPU with that ordinal.</exception>
    public CudaBackend(int deviceOrdinal = 0, CudaPrecision defaultPrecision = CudaPrecision.Float32)
    {
        if (!Enum.IsDefined(defaultPrecision))
            throw new ArgumentOutOfRangeException(nameof(defaultPrecision), defaultPrecision, "not a CUDA precision");
        DefaultPrecision = defaultPrecision;
        _device = CudaDevice.Open(deviceOrdinal);
    }

    /// <summary>
    /// Whether a <see cref="CudaBackend"/> can be created here: a driver that sees a GPU, cuBLAS and NVRTC.
    /// Never throws; <paramref name="reason"/> says what was found or, when false, what failed and every
    /// library name and path tried. Meant for choosing a default device and for skipping GPU tests.
    /// </summary>
    public static bool IsAvailable(out string reason)
    {
        var probe = Probe();
        reason = probe.Reason;
        return probe.Available;
    }

    /// <summary>As <see cref="IsAvailable"/>, also telling a missing GPU from a GPU with a broken CUDA installation.</summary>
    internal static CudaProbe Probe() => CudaDevice.Probe();

    /// <inheritdoc/>
    public string Name => "cuda";

    /// <summary>The GPU.</summary>
    public CudaDeviceInfo Device => _device.Info;

    /// <summary>The precision <see cref="Prepare(TransformerModel{float})"/> uses.</summary>
    public CudaPrecision DefaultPrecision { get; }

    /// <inheritdoc/>
    public string Description
    {
        get
        {
            var d = _device.Info;
            return $"cuda ({d.Name}, compute capability {d.ComputeCapabilityMajor}.{d.ComputeCapabilityMinor}, {d.MultiprocessorCount} SMs, "
                + $"{d.TotalMemoryBytes >> 20} MiB, CUDA driver {d.DriverVersion / 1000}.{d.DriverVersion % 1000 / 10}, "
                + $"cuBLAS {CublasVersionText(_device.CublasVersion)}, NVRTC {_device.NvrtcVersion}, "
                + $"{DefaultPrecision.ShortName()} weights and activations, fp32 accumulation)";
        }
    }

    /// <summary>The GPU context, for callers that allocate device buffers for the block methods of a session.</summary>
    internal CudaContext Context => _device.Context;

    /// <summary>The device models are prepared on.</summary>
    internal IGpu Gpu => _device;

    /// <summary>Uploads <paramref name="model"/> in <see cref="DefaultPrecision"/>.</summary>
    public IExecutableModel Prepare(TransformerModel<float> model) => Prepare(model, DefaultPrecision);

    /// <summary>
    /// Uploads <paramref name="model"/>'s weights once, converted to <paramref name="precision"/>; sessions of the
    /// returned model share them. The result is a <see cref="CudaExecutableModel{T}"/> of float, Half or BFloat16.
    /// </summary>
    /// <exception cref="NotSupportedException">A shape the kernels do not handle (head width above 256).</exception>
    /// <exception cref="CudaException">Not enough device memory (the message says how much was needed and free).</exception>
    public IExecutableModel Prepare(TransformerModel<float> model, CudaPrecision precision) => Prepare(model, precision, shareRepeatedTensors: true);

    /// <summary>
    /// As <see cref="Prepare(TransformerModel{float}, CudaPrecision)"/>; with <paramref name="shareRepeatedTensors"/>
    /// false, host arrays that several blocks share still get one device copy per block (the benchmarks' random models
    /// share one host layer, but must occupy and stream as much device memory as a real checkpoint).
    /// </summary>
    internal IExecutableModel Prepare(TransformerModel<float> model, CudaPrecision precision, bool shareRepeatedTensors)
    {
        ArgumentNullException.ThrowIfNull(model);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        CheckSupported(model.Config);
        return precision switch
        {
            CudaPrecision.Float32 => new CudaExecutableModel<float>(_device, model, shareRepeatedTensors),
            CudaPrecision.Float16 => new CudaExecutableModel<Half>(_device, model, shareRepeatedTensors),
            CudaPrecision.BFloat16 => new CudaExecutableModel<BFloat16>(_device, model, shareRepeatedTensors),
            _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "not a CUDA precision"),
        };
    }

    /// <summary>Lets go of the GPU; models and sessions still alive keep it until they are disposed. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _device.Release();
    }

    private static void CheckSupported(ModelConfig c)
    {
        if (c.HeadDim > AttentionKernels.MaxHeadDim)
            throw new NotSupportedException($"the CUDA attention kernel handles heads up to {AttentionKernels.MaxHeadDim} wide; this model's are {c.HeadDim}");
        if (c.NHeads % c.NKvHeads != 0)
            throw new NotSupportedException($"{c.NHeads} query heads are not a multiple of {c.NKvHeads} key/value heads");
    }

    private static string CublasVersionText(int version) => $"{version / 10000}.{version / 100 % 100}.{version % 100}";
}
