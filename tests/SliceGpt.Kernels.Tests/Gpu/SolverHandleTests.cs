using SliceGpt.Kernels.Tests.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests.Gpu;

/// <summary>cuSOLVER's symmetric eigensolver on a matrix with a known spectrum.</summary>
public sealed class SolverHandleTests : GpuTestBase
{
    // A = Q·diag(λ)·Qᵀ with a random orthogonal Q (Gram-Schmidt in double) and a known λ.
    private static (double[] A, double[] Q, double[] Lambda) KnownSpectrum(int n, int seed)
    {
        var q = TestData.Uniform(n * n, seed).Select(v => (double)v).ToArray();
        for (int j = 0; j < n; j++)
        {
            for (int p = 0; p < j; p++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++)
                    dot += q[i * n + j] * q[i * n + p];
                for (int i = 0; i < n; i++)
                    q[i * n + j] -= dot * q[i * n + p];
            }
            double norm = Math.Sqrt(Enumerable.Range(0, n).Sum(i => q[i * n + j] * q[i * n + j]));
            for (int i = 0; i < n; i++)
                q[i * n + j] /= norm;
        }
        var lambda = Enumerable.Range(0, n).Select(i => 10.0 / (i + 1) - 0.5).ToArray();  // distinct, one negative
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < n; p++)
                    a[i * n + j] += q[i * n + p] * lambda[p] * q[j * n + p];
        return (a, q, lambda);
    }

    [Test]
    public void EigenpairsComeBackDescendingWithUnitEigenvectorsInColumns()
    {
        // Double precision on a well-separated spectrum of size 64: eigenvalues agree to ~1e-13 and
        // eigenvectors (up to sign) to ~1e-12; the bounds below leave two orders of magnitude.
        const int n = 64;
        var (a, q, lambda) = KnownSpectrum(n, 70);
        using var solver = new SolverHandle(Context);
        using var device = Upload(a);
        var vectors = new double[n * n];
        var values = new double[n];
        solver.SymmetricEigenDescending(Stream, device, n, vectors, values);

        var expectedValues = lambda.OrderDescending().ToArray();
        Assert.That(values, Is.Ordered.Descending);
        for (int j = 0; j < n; j++)
        {
            Assert.That(values[j], Is.EqualTo(expectedValues[j]).Within(1e-10), $"λ[{j}]");
            int source = Array.IndexOf(lambda, expectedValues[j]);
            double sign = Math.Sign(Enumerable.Range(0, n).Sum(i => vectors[i * n + j] * q[i * n + source]));
            for (int i = 0; i < n; i++)
                Assert.That(vectors[i * n + j], Is.EqualTo(sign * q[i * n + source]).Within(1e-9), $"v[{i}, {j}]");
        }
    }

    [Test]
    public void RawDsyevdIsAscending()
    {
        const int n = 16;
        var (a, _, lambda) = KnownSpectrum(n, 71);
        using var solver = new SolverHandle(Context);
        using var device = Upload(a);
        using var w = Context.Allocate<double>(n);
        solver.DsyevdAscending(Stream, device, w, n);
        Assert.That(DownloadRaw(w), Is.EqualTo(lambda.Order().ToArray()).Within(1e-10));
    }
}
