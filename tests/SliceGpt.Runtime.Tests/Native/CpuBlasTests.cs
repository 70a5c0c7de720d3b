using SliceGpt.Native.Cpu;

namespace SliceGpt.Runtime.Tests.Native;

public class CpuBlasTests
{
    [Test]
    public void SgemmWithTransposedB_MatchesHandComputedProduct()
    {
        // x (2×3) · Wᵀ with W (2×3) stored [out, in], as every linear layer calls it.
        float[] x = [1, 2, 3, 4, 5, 6];
        float[] w = [1, 0, -1, 2, 1, 0];
        var y = new float[4];
        CpuBlas.Gemm(false, true, 2, 2, 3, 1f, x, 3, w, 3, 0f, y, 2);
        Assert.That(y, Is.EqualTo(new float[] { -2, 4, -2, 13 }));
    }

    [Test]
    public void Dgemm_RejectsTooShortOutputNamingTheMatrix()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            CpuBlas.Gemm(false, false, 2, 2, 2, 1.0, new double[4], 2, new double[4], 2, 0.0, new double[3], 2));
        Assert.That(ex!.Message, Does.Contain("matrix C"));
    }

    [Test]
    public void SyrkTransposedUpper_EqualsXtXOnTheUpperTriangle()
    {
        double[] x = [1, 2, 3, 4, 5, 6]; // 3 tokens × 2 features
        var c = new double[4];
        CpuBlas.SyrkTransposedUpper(2, 3, 1.0, x, 2, 0.0, c, 2);
        Assert.That(c[0], Is.EqualTo(1 + 9 + 25));
        Assert.That(c[1], Is.EqualTo(2 + 12 + 30));
        Assert.That(c[3], Is.EqualTo(4 + 16 + 36));
    }

    [Test]
    public void SymmetricEigenDescending_SortsLargestFirstWithMatchingVectors()
    {
        // [[2,1],[1,2]] has eigenvalues 3 (vector (1,1)/√2) and 1 (vector (1,-1)/√2).
        double[] a = [2, 1, 1, 2];
        var w = new double[2];
        CpuLapack.SymmetricEigenDescending(2, a, w);
        Assert.That(w[0], Is.EqualTo(3).Within(1e-14));
        Assert.That(w[1], Is.EqualTo(1).Within(1e-14));
        Assert.That(Math.Abs(a[0]), Is.EqualTo(Math.Sqrt(0.5)).Within(1e-14));
        Assert.That(a[0] * a[2], Is.GreaterThan(0), "first column is ±(1,1)/√2");
    }
}
