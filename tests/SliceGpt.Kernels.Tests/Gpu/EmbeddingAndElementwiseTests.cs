using SliceGpt.Kernels.Tests.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests.Gpu;

/// <summary>Embedding gather, activations, bias and residual adds against host references.</summary>
public sealed class EmbeddingAndElementwiseTests : GpuTestBase
{
    // Element-wise ops do a handful of fp32 operations per element; fp32 expf/tanhf are within 2 ulp, so 1e-6
    // relative (plus 1e-7 absolute near zero) holds. Half/bf16 add one output rounding.
    private static readonly Tolerance F32 = new(1e-7, 1e-6);

    [TestCase(StorageType.F32)]
    [TestCase(StorageType.F16)]
    [TestCase(StorageType.Bf16)]
    public void EmbeddingGathersRowsAndAddsLearnedPositions(StorageType type) =>
        Storage.For(type, Embedding<float>, Embedding<Half>, Embedding<BFloat16>);

    private void Embedding<T>() where T : unmanaged
    {
        const int vocab = 50, dim = 40, rows = 6, maxPositions = 12, offset = 2;
        var table = Storage.Representable<T>(TestData.Uniform(vocab * dim, 7));
        var positionTable = Storage.Representable<T>(TestData.Uniform(maxPositions * dim, 8));
        int[] tokens = [3, 0, 49, 3, 17, 50];   // 50 is out of range: its row must come back NaN
        int[] positions = [0, 1, 2, 3, 4, 5];
        using var dTable = UploadAs<T>(table);
        using var dPositionTable = UploadAs<T>(positionTable);
        using var dTokens = Upload(tokens);
        using var dPositions = Upload(positions);
        using var output = Context.Allocate<T>(rows * dim);
        Kernels.Embedding.EmbedWithPositions<T>(Stream, dTokens, dTable, output, rows, dim, vocab, dPositions, dPositionTable, offset, maxPositions);
        var expected = new double[rows * dim];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < dim; j++)
                expected[r * dim + j] = tokens[r] >= vocab ? double.NaN
                    : (double)table[tokens[r] * dim + j] + positionTable[(positions[r] + offset) * dim + j];
        Tolerance.ForStorage(Storage.TypeOf<T>(), F32).AssertClose(expected, Download(output), $"embedding {typeof(T).Name}");

        Kernels.Embedding.Embed<T>(Stream, dTokens, dTable, output, rows - 1, dim, vocab);
        var plain = Download(output);
        Assert.That(plain.AsSpan(0, dim).ToArray(), Is.EqualTo(table.AsSpan(3 * dim, dim).ToArray()), "a plain gather is an exact copy");
    }

    [TestCase(StorageType.F32)]
    [TestCase(StorageType.F16)]
    [TestCase(StorageType.Bf16)]
    public void ActivationsMatchReference(StorageType type) =>
        Storage.For(type, Activations<float>, Activations<Half>, Activations<BFloat16>);

    private void Activations<T>() where T : unmanaged
    {
        var tolerance = Tolerance.ForStorage(Storage.TypeOf<T>(), F32);
        const int rows = 5, hidden = 300;
        var gateUp = Storage.Representable<T>(TestData.Uniform(rows * 2 * hidden, 9, 6f));
        using var dGateUp = UploadAs<T>(gateUp);
        using var output = Context.Allocate<T>(rows * hidden);
        Kernels.Activation.SiluMul<T>(Stream, dGateUp, output, rows, hidden);
        tolerance.AssertClose(ReferenceOps.SiluMul(gateUp, rows, hidden), Download(output), $"silu_mul {typeof(T).Name}");

        var x = Storage.Representable<T>(TestData.Uniform(4097, 10, 5f));
        using var gelu = UploadAs<T>(x);
        Kernels.Activation.GeluNew<T>(Stream, gelu, x.Length);
        tolerance.AssertClose(ReferenceOps.GeluNew(x), Download(gelu), $"gelu_new {typeof(T).Name}");

        x[17] = float.NaN;
        using var relu = UploadAs<T>(x);
        Kernels.Activation.Relu<T>(Stream, relu, x.Length);
        tolerance.AssertClose(ReferenceOps.Relu(x), Download(relu), $"relu {typeof(T).Name} (NaN stays NaN)");
    }

    [TestCase(StorageType.F32)]
    [TestCase(StorageType.F16)]
    [TestCase(StorageType.Bf16)]
    public void BiasAndResidualAddsMatchReference(StorageType type) =>
        Storage.For(type, Adds<float>, Adds<Half>, Adds<BFloat16>);

    private void Adds<T>() where T : unmanaged
    {
        var tolerance = Tolerance.ForStorage(Storage.TypeOf<T>(), F32);
        const int rows = 9, width = 131;
        var y = Storage.Representable<T>(TestData.Uniform(rows * width, 11));
        var bias = Storage.Representable<T>(TestData.Uniform(width, 12));
        var x = Storage.Representable<T>(TestData.Uniform(rows * width, 13));
        using var dy = UploadAs<T>(y);
        using var dBias = UploadAs<T>(bias);
        using var dx = UploadAs<T>(x);
        Kernels.Elementwise.AddBias<T>(Stream, dy, dBias, rows, width);
        var withBias = y.Select((v, i) => (double)v + bias[i % width]).ToArray();
        tolerance.AssertClose(withBias, Download(dy), $"bias_add {typeof(T).Name}");

        var current = Download(dy);
        Kernels.Elementwise.AddResidual<T>(Stream, dy, dx, rows * width);
        tolerance.AssertClose(current.Select((v, i) => (double)v + x[i]).ToArray(), Download(dy), $"residual_add {typeof(T).Name}");
    }
}
