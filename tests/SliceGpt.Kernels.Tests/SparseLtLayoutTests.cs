using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests;

/// <summary>
/// The host side of the 2:4 product, no GPU needed: how each <see cref="SparseLtLayout"/> becomes cuSPARSELt descriptors
/// (checked by evaluating the descriptors as cuSPARSELt defines them on small integer matrices), the argument checks
/// the constructor runs, and the plan cache.
/// </summary>
public sealed class SparseLtLayoutTests
{
    private const int Out = 16, In = 32, Rows = 8;

    [Test]
    public void TheDefaultLayoutIsTheColumnMajorTnProductThisBindingAlwaysRan()
    {
        var p = SparseLtProblem.For(4096, 11008, 2048, SparseLtLayout.ColumnMajorTN);
        Assert.Multiple(() =>
        {
            Assert.That((p.M, p.N, p.K), Is.EqualTo((4096, 2048, 11008)));
            Assert.That((p.OpA, p.OpB), Is.EqualTo((SparseLtOp.T, SparseLtOp.N)));
            Assert.That(p.A, Is.EqualTo(new SparseLtMatrix(11008, 4096, 11008, SparseLtOrder.Column)), "Wᵀ viewed in x out, ld in");
            Assert.That(p.B, Is.EqualTo(new SparseLtMatrix(11008, 2048, 11008, SparseLtOrder.Column)), "Xᵀ viewed in x rows");
            Assert.That(p.C, Is.EqualTo(new SparseLtMatrix(4096, 2048, 4096, SparseLtOrder.Column)), "Yᵀ column-major is Y row-major");
            Assert.That(SparseLtLayout.ColumnMajorTN.Name, Is.EqualTo("A=W(col,T) B=X(col,N) D(col)"));
        });
    }

    [Test]
    public void PyTorchsFusedTransposeLayoutHasARowMajorWeightWithOpN()
    {
        var p = SparseLtProblem.For(Out, In, Rows, SparseLtLayout.RowMajorWeightFirst);
        Assert.Multiple(() =>
        {
            Assert.That((p.OpA, p.OpB), Is.EqualTo((SparseLtOp.N, SparseLtOp.T)));
            Assert.That(p.A, Is.EqualTo(new SparseLtMatrix(Out, In, In, SparseLtOrder.Row)));
            Assert.That(p.B, Is.EqualTo(new SparseLtMatrix(Rows, In, In, SparseLtOrder.Row)));
            Assert.That(p.C.Order, Is.EqualTo(SparseLtOrder.Column));
        });
    }

    [Test]
    public void WeightAsBMakesDTheRowMajorOutput()
    {
        var layout = new SparseLtLayout(SparseLtOperand.B, SparseLtOrder.Row, SparseLtOrder.Row, false);
        var p = SparseLtProblem.For(Out, In, Rows, layout);
        Assert.Multiple(() =>
        {
            Assert.That((p.M, p.N, p.K), Is.EqualTo((Rows, Out, In)));
            Assert.That((p.OpA, p.OpB), Is.EqualTo((SparseLtOp.N, SparseLtOp.T)), "X as is, W [out, in] read transposed");
            Assert.That(p.C, Is.EqualTo(new SparseLtMatrix(Rows, Out, Out, SparseLtOrder.Row)));
            Assert.That(layout.Name, Is.EqualTo("A=X(row,N) B=W(row,T) D(row)"));
        });
    }

    // The defining test of the mapping: evaluate D = op(A)·op(B) exactly as cuSPARSELt's descriptors define it, over the
    // memory the engine holds (W or Wᵀ row-major, X row-major), and read D's memory back as Y row-major. Integer values,
    // so the sums are exact and the comparison is equality.
    [TestCaseSource(nameof(AllLayouts))]
    public void EveryLayoutComputesXTimesWTransposedIntoRowMajorY(SparseLtLayout layout)
    {
        var w = Matrix(Out, In, seed: 1);      // W [out, in]
        var x = Matrix(Rows, In, seed: 2);     // X [rows, in]
        double[] weightMemory = layout.WeightTransposed ? Transpose(w, Out, In) : w;
        var p = SparseLtProblem.For(Out, In, Rows, layout);
        bool weightIsA = layout.Structured == SparseLtOperand.A;
        double[] a = weightIsA ? weightMemory : x, b = weightIsA ? x : weightMemory;
        var d = new double[Rows * Out];
        for (int i = 0; i < p.M; i++)
        {
            for (int j = 0; j < p.N; j++)
            {
                double sum = 0;
                for (int k = 0; k < p.K; k++)
                    sum += Read(a, p.A, p.OpA, i, k) * Read(b, p.B, p.OpB, k, j);
                d[Index(p.C, i, j)] = sum;
            }
        }
        var expected = new double[Rows * Out];
        for (int r = 0; r < Rows; r++)
            for (int o = 0; o < Out; o++)
                for (int k = 0; k < In; k++)
                    expected[r * Out + o] += x[r * In + k] * w[o * In + k];
        Assert.That(d, Is.EqualTo(expected), layout.Name);
    }

    [Test]
    public void TheSixteenLayoutsHaveDistinctNames() =>
        Assert.That(SparseLtLayout.All.Select(l => l.Name).Distinct().Count(), Is.EqualTo(16));

    [TestCase(0, In, Rows, "outFeatures")]
    [TestCase(24, In, Rows, "outFeatures")]
    [TestCase(Out, 8, Rows, "inFeatures")]
    [TestCase(Out, -16, Rows, "inFeatures")]
    [TestCase(Out, In, 4, "rows")]
    [TestCase(Out, In, 12, "rows")]
    public void DimensionsThatCuSparseLtCannotTakeAreRejectedByName(int outFeatures, int inFeatures, int rows, string name)
    {
        var e = Assert.Throws<ArgumentException>(() => SparseLtGemm<Half>.Describe(outFeatures, inFeatures, rows, SparseLtLayout.ColumnMajorTN))!;
        Assert.Multiple(() =>
        {
            Assert.That(e.ParamName, Is.EqualTo(name));
            Assert.That(e.Message, Does.Contain($"{name} = ").And.Contain("multiple of"));
        });
    }

    [Test]
    public void ADecodeBatchOfEightRowsIsAccepted() =>
        Assert.That(SparseLtGemm<BFloat16>.Describe(4096, 4096, 8, SparseLtLayout.ColumnMajorTN).N, Is.EqualTo(8));

    [Test]
    public void OnlyHalfAndBFloat16AreStored()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<NotSupportedException>(() => SparseLtGemm<float>.Describe(Out, In, Rows, SparseLtLayout.ColumnMajorTN));
            Assert.Throws<NotSupportedException>(() => SparseLtGemm<double>.Describe(Out, In, Rows, SparseLtLayout.ColumnMajorTN));
        });
    }

    [Test]
    public void UndefinedEnumValuesAreRejected()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() =>
                SparseLtGemm<Half>.Describe(Out, In, Rows, SparseLtLayout.ColumnMajorTN, (SparseLtPruning)7));
            Assert.Throws<ArgumentOutOfRangeException>(() =>
                SparseLtProblem.For(Out, In, Rows, SparseLtLayout.ColumnMajorTN with { Structured = (SparseLtOperand)2 }));
            Assert.Throws<ArgumentOutOfRangeException>(() =>
                SparseLtProblem.For(Out, In, Rows, SparseLtLayout.ColumnMajorTN with { ActivationOrder = (SparseLtOrder)5 }));
        });
    }

    private static IEnumerable<TestCaseData> AllLayouts() =>
        SparseLtLayout.All.Select(l => new TestCaseData(l).SetArgDisplayNames(l.Name));

    private static double Read(double[] memory, SparseLtMatrix m, SparseLtOp op, int i, int j) =>
        op == SparseLtOp.N ? memory[Index(m, i, j)] : memory[Index(m, j, i)];

    private static int Index(SparseLtMatrix m, int i, int j)
    {
        Assert.That(i < m.Rows && j < m.Cols, $"({i}, {j}) outside the {m.Rows} x {m.Cols} descriptor");
        return (int)(m.Order == SparseLtOrder.Row ? i * m.Ld + j : i + j * m.Ld);
    }

    private static double[] Matrix(int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, rows * cols).Select(_ => (double)rng.Next(-4, 5)).ToArray();
    }

    private static double[] Transpose(double[] m, int rows, int cols)
    {
        var t = new double[m.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = m[r * cols + c];
        return t;
    }
}
