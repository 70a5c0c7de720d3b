using SliceGpt.Runtime.Inference.Cuda;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Tests.Cuda.Emulation;
using SliceGpt.Runtime.Tests.Slicing;

namespace SliceGpt.Runtime.Tests.Cuda;

/// <summary>
/// The upload of a model whose blocks share host arrays (the GPU benchmarks' random 7B models reuse one host layer):
/// by default each host array is stored once on the device; with <c>shareRepeatedTensors: false</c> every block gets
/// its own copy, as a real checkpoint's blocks would. Runs on the emulated device (host memory), so anywhere.
/// </summary>
public class RepeatedTensorUploadTests
{
    private static readonly int[] Rows = [3, 17, 0, 39, 8, 8, 25, 11, 2, 30, 5, 19];

    [Test]
    public void SharedHostLayer_GetsOneDeviceCopyPerBlock_OnlyWhenAsked()
    {
        var distinct = InvarianceTests.Synthetic<float>("llama");
        Assume.That(distinct.Layers, Has.Length.GreaterThan(1));
        var shared = distinct with { Layers = Enumerable.Repeat(distinct.Layers[0], distinct.Layers.Length).ToArray() };
        var oneBlock = distinct with { Layers = [distinct.Layers[0]] };
        var gpu = new EmulatedGpu();
        using var distinctModel = new CudaExecutableModel<float>(gpu, distinct);
        using var sharedOnce = new CudaExecutableModel<float>(gpu, shared);
        using var sharedPerBlock = new CudaExecutableModel<float>(gpu, shared, shareRepeatedTensors: false);
        using var oneBlockModel = new CudaExecutableModel<float>(gpu, oneBlock);
        Assert.Multiple(() =>
        {
            Assert.That(sharedOnce.WeightBytes, Is.EqualTo(oneBlockModel.WeightBytes), "by default a repeated host array is stored once");
            Assert.That(sharedPerBlock.WeightBytes, Is.EqualTo(distinctModel.WeightBytes), "a device copy per block, as a real checkpoint has");
        });
    }

    [Test]
    public void PerBlockCopies_ComputeWhatTheSharedUploadComputes()
    {
        // The same values either way, so the same arithmetic: the emulated device is deterministic, hence exact equality.
        var model = InvarianceTests.Synthetic<float>("llama");
        var shared = model with { Layers = Enumerable.Repeat(model.Layers[0], model.Layers.Length).ToArray() };
        var gpu = new EmulatedGpu();
        Assert.That(RowNll(new CudaExecutableModel<float>(gpu, shared, shareRepeatedTensors: false)),
            Is.EqualTo(RowNll(new CudaExecutableModel<float>(gpu, shared))));
    }

    private static double[] RowNll(CudaExecutableModel<float> model)
    {
        using (model)
        {
            using var session = model.CreateSession(2, Rows.Length / 2);
            var sums = new double[2];
            session.RowNegLogLikelihoods(Rows.Select(id => id % model.Config.VocabSize).ToArray(), 2, Rows.Length / 2, sums);
            return sums;
        }
    }
}
