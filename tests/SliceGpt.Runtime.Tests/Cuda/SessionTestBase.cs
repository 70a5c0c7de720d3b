using System.Runtime.InteropServices;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Cuda;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Tests.Cuda.Emulation;
using SliceGpt.Runtime.Tests.Inference;
using SliceGpt.Runtime.Tests.Slicing;

namespace SliceGpt.Runtime.Tests.Cuda;

/// <summary>Where a session fixture runs.</summary>
public enum TestDevice
{
    /// <summary>The real GPU through <see cref="CudaBackend"/>; the fixture carries [Category("Gpu")] and is skipped without one.</summary>
    Cuda,
    /// <summary>The host-memory <see cref="EmulatedGpu"/>: the same session code, the kernels' semantics done in C#; runs anywhere.</summary>
    Emulated,
}

/// <summary>
/// Base of the session fixtures. Each test body runs twice: on the GPU (fixtures named Cuda…, [Category("Gpu")]:
/// without a driver or a GPU they report as skipped, "no CUDA device: why"; a GPU with its CUDA libraries missing
/// fails, because that is a broken installation, as the kernel tests decide) and on the emulated device (fixtures
/// named Emulated…), which checks the session's own wiring against the CPU reference on any machine but says
/// nothing about the kernels. A GPU fixture cannot pass on the CPU: every assertion reads what the GPU computed.
/// </summary>
public abstract class SessionTestBase(TestDevice device)
{
    private CudaBackend? _backend;

    internal IGpu Gpu { get; private set; } = null!;

    protected TestDevice Device => device;

    /// <summary>The real backend (GPU fixtures only).</summary>
    protected CudaBackend Backend => _backend ?? throw new InvalidOperationException("an emulated fixture has no CudaBackend");

    [OneTimeSetUp]
    public void OpenDevice()
    {
        if (device == TestDevice.Emulated)
        {
            Gpu = new EmulatedGpu();
            return;
        }
        var probe = CudaBackend.Probe();
        if (!probe.DevicePresent)
            Assert.Ignore($"no CUDA device: {probe.Reason}");
        if (!probe.Available)
            Assert.Fail($"a GPU is present but CUDA is not usable: {probe.Reason}");
        _backend = new CudaBackend();
        Gpu = _backend.Gpu;
        TestContext.Progress.WriteLine($"GPU tests on {_backend.Description}");
    }

    [OneTimeTearDown]
    public void CloseDevice() => _backend?.Dispose();

    /// <summary>Uploads <paramref name="model"/> in storage type <typeparamref name="T"/> (through CudaBackend.Prepare on the GPU).</summary>
    internal CudaExecutableModel<T> Prepare<T>(TransformerModel<float> model) where T : unmanaged =>
        _backend is not null ? (CudaExecutableModel<T>)_backend.Prepare(model, CudaPrecisionExtensions.Of<T>()) : new CudaExecutableModel<T>(Gpu, model);

    /// <summary>The device's fp32 logits of every position of <paramref name="tokens"/>, the model stored in <paramref name="precision"/>.</summary>
    internal double[][] DeviceLogits(TransformerModel<float> model, int[] tokens, CudaPrecision precision) => precision switch
    {
        CudaPrecision.Float32 => DeviceLogits<float>(model, tokens),
        CudaPrecision.Float16 => DeviceLogits<Half>(model, tokens),
        _ => DeviceLogits<BFloat16>(model, tokens),
    };

    private double[][] DeviceLogits<T>(TransformerModel<float> model, int[] tokens) where T : unmanaged
    {
        using var prepared = Prepare<T>(model);
        using var session = prepared.CreateSession(1, tokens.Length);
        Assert.That(session.Backend, Does.StartWith("cuda (").And.Contain(prepared.Precision.ShortName()));
        return SessionLogits(session, tokens, 1);
    }

    /// <summary>Logits of <paramref name="batch"/> rows (tokens holds them back to back), one double[] per position.</summary>
    internal static double[][] SessionLogits<T>(CudaSession<T> session, int[] tokens, int batch) where T : unmanaged
    {
        int vocab = session.Config.VocabSize;
        var flat = new float[tokens.Length * vocab];
        session.Logits(tokens, batch, tokens.Length / batch, flat);
        return Enumerable.Range(0, tokens.Length).Select(i => flat.AsSpan(i * vocab, vocab).ToArray().Select(v => (double)v).ToArray()).ToArray();
    }

    /// <summary>The CPU reference's fp32 logits.</summary>
    protected static double[][] CpuLogits(TransformerModel<float> model, int[] tokens) =>
        InvarianceTests.ToDouble(FamilyForwardTests.RunLogits(model, tokens));

    /// <summary>Device memory holding <paramref name="values"/> (the caller disposes the block).</summary>
    internal (IDeviceBlock Block, DeviceMemory<float> View) Upload(float[] values)
    {
        var (block, view) = Allocate(values.Length);
        block.Upload(MemoryMarshal.AsBytes(values.AsSpan()), 0);
        return (block, view);
    }

    /// <summary>Uninitialised device memory for <paramref name="count"/> floats.</summary>
    internal (IDeviceBlock Block, DeviceMemory<float> View) Allocate(long count)
    {
        var block = Gpu.Allocate(count * sizeof(float), "a test buffer");
        return (block, new DeviceMemory<float>(block.Address, count));
    }

    /// <summary>The contents of <paramref name="block"/> once <paramref name="session"/>'s queued work is done.</summary>
    internal static float[] Read<T>(CudaSession<T> session, IDeviceBlock block) where T : unmanaged
    {
        session.Synchronize();
        var values = new float[block.Bytes / sizeof(float)];
        block.Download(MemoryMarshal.AsBytes(values.AsSpan()), 0);
        return values;
    }
}
