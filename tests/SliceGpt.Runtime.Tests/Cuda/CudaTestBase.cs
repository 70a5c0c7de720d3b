using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Cuda;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Tests.Inference;
using SliceGpt.Runtime.Tests.Slicing;

namespace SliceGpt.Runtime.Tests.Cuda;

/// <summary>
/// Base of the GPU fixtures: one <see cref="CudaBackend"/> per fixture. Without a driver or a GPU every test
/// reports as skipped ("no CUDA device: why"); a GPU whose CUDA libraries are missing fails instead, because that
/// is a broken installation, not an absent GPU (as the kernel tests decide). Nothing here can pass on the CPU:
/// every assertion reads results the GPU computed.
/// </summary>
[Category("Gpu")]
public abstract class CudaTestBase
{
    protected CudaBackend Backend { get; private set; } = null!;

    [OneTimeSetUp]
    public void OpenBackend()
    {
        var probe = CudaBackend.Probe();
        if (!probe.DevicePresent)
            Assert.Ignore($"no CUDA device: {probe.Reason}");
        if (!probe.Available)
            Assert.Fail($"a GPU is present but CUDA is not usable: {probe.Reason}");
        Backend = new CudaBackend();
        TestContext.Progress.WriteLine($"GPU tests on {Backend.Description}");
    }

    [OneTimeTearDown]
    public void CloseBackend() => Backend?.Dispose();

    /// <summary>Uploads <paramref name="model"/> in storage type <typeparamref name="T"/>.</summary>
    protected CudaExecutableModel<T> Prepare<T>(TransformerModel<float> model) where T : unmanaged =>
        (CudaExecutableModel<T>)Backend.Prepare(model, CudaPrecisionExtensions.Of<T>());

    /// <summary>The GPU's fp32 logits of every position of <paramref name="tokens"/>, the model stored in <paramref name="precision"/>.</summary>
    protected double[][] GpuLogits(TransformerModel<float> model, int[] tokens, CudaPrecision precision) => precision switch
    {
        CudaPrecision.Float32 => GpuLogits<float>(model, tokens),
        CudaPrecision.Float16 => GpuLogits<Half>(model, tokens),
        _ => GpuLogits<BFloat16>(model, tokens),
    };

    private double[][] GpuLogits<T>(TransformerModel<float> model, int[] tokens) where T : unmanaged
    {
        using var prepared = Prepare<T>(model);
        using var session = prepared.CreateSession(1, tokens.Length);
        Assert.That(session.Backend, Does.StartWith("cuda (").And.Contain(prepared.Precision.ShortName()));
        return SessionLogits(session, tokens, 1);
    }

    /// <summary>Logits of <paramref name="batch"/> rows (tokens holds them back to back), one double[] per position.</summary>
    protected static double[][] SessionLogits<T>(CudaSession<T> session, int[] tokens, int batch) where T : unmanaged
    {
        int vocab = session.Config.VocabSize;
        var flat = new float[tokens.Length * vocab];
        session.Logits(tokens, batch, tokens.Length / batch, flat);
        return Enumerable.Range(0, tokens.Length).Select(i => flat.AsSpan(i * vocab, vocab).ToArray().Select(v => (double)v).ToArray()).ToArray();
    }

    /// <summary>The CPU reference's fp32 logits.</summary>
    protected static double[][] CpuLogits(TransformerModel<float> model, int[] tokens) =>
        InvarianceTests.ToDouble(FamilyForwardTests.RunLogits(model, tokens));
}
