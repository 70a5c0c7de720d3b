using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Inference.Cuda;
using SliceGpt.Runtime.Tests.Inference;
using SliceGpt.Runtime.Tests.Slicing;

namespace SliceGpt.Runtime.Tests.Cuda;

/// <summary>The backend object on a real GPU: what it reports, and its lifetime against its models and sessions.</summary>
[Category("Gpu")]
public sealed class CudaBackendTests() : SessionTestBase(TestDevice.Cuda)
{
    [Test]
    public void Descriptions_NameTheGpuComputeCapabilityDriverAndPrecision()
    {
        using var gpu = Backend.Prepare(InvarianceTests.Synthetic<float>("llama"), CudaPrecision.BFloat16);
        using IInferenceSession session = gpu.CreateSession(1, 4);
        var d = Backend.Device;
        Assert.Multiple(() =>
        {
            Assert.That(Backend.Name, Is.EqualTo("cuda"));
            Assert.That(Backend.Description, Does.Contain(d.Name).And.Contain($"compute capability {d.ComputeCapabilityMajor}.{d.ComputeCapabilityMinor}")
                .And.Contain("CUDA driver").And.Contain("fp32 weights"));
            Assert.That(gpu.Backend, Is.EqualTo($"cuda ({d.Name}, bf16 weights and activations, fp32 accumulation)"));
            Assert.That(session.Backend, Is.EqualTo(gpu.Backend));
        });
    }

    [Test]
    public void BackendDispose_IsIdempotent_AndModelsKeepTheGpuAlive()
    {
        var backend = new CudaBackend();
        var gpu = (CudaExecutableModel<float>)backend.Prepare(InvarianceTests.Synthetic<float>("llama"));
        using var session = gpu.CreateSession(1, 6);
        var before = session.Prefill([1, 2, 3]).ToArray();
        backend.Dispose();
        backend.Dispose();
        Assert.Throws<ObjectDisposedException>(() => backend.Prepare(InvarianceTests.Synthetic<float>("llama")));
        gpu.Dispose();
        session.Reset();
        var after = session.Prefill([1, 2, 3]).ToArray();
        FamilyForwardTests.AssertClose([after.Select(v => (double)v).ToArray()], [before.Select(v => (double)v).ToArray()], 1e-6);
        session.Dispose();
        Assert.That(gpu.Device.IsReleased, Is.True, "the last session let go of the context");
    }
}
