using SliceGpt.Bench.Gpu;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Slicing;

namespace SliceGpt.Bench.Tests;

/// <summary>The per-matmul suites' cases: blocks, 2:4 setups, decode padding, folding, and the shape list PyTorch reads.</summary>
public class GemmSuiteTests
{
    [Test]
    public void TheSmokeSuiteTimesEveryBlockOfTheSevenBModelOnly()
    {
        var smoke = GemmSuite.Smoke;
        Assert.Multiple(() =>
        {
            Assert.That(smoke.Select(c => c.Model).Distinct(), Is.EqualTo(new[] { "llama-2-7b" }));
            Assert.That(smoke.Select(c => (c.Tokens, c.Precision)).Distinct(), Is.EquivalentTo(new[]
            {
                (2048, GemmPrecision.Fp16), (1, GemmPrecision.Fp16), (8, GemmPrecision.Fp16), (32, GemmPrecision.Fp16),
                (128, GemmPrecision.Fp16), (2048, GemmPrecision.Bf16),
            }));
            // 2048 fp16: dense 3 + 2:4 3 x 8 setups + sliced 5 + 5 + folded 4 + 4; each other block: 3 + 3 + 5 + 5.
            Assert.That(smoke, Has.Count.EqualTo(3 + 24 + 5 + 5 + 4 + 4 + 5 * 16));
            Assert.That(smoke.Select(c => c.Id).Distinct().Count(), Is.EqualTo(smoke.Count), "ids are unique");
            Assert.That(smoke.Select(c => c.Order), Is.EqualTo(Enumerable.Range(0, smoke.Count)), "suite order");
        });
    }

    [Test]
    public void TheFullSuiteIsEveryModelInEveryBlock()
    {
        var full = GemmSuite.Full;
        Assert.Multiple(() =>
        {
            Assert.That(full.Select(c => c.Model).Distinct(), Is.EqualTo(PublishedModels.Names));
            Assert.That(full.Select(c => c.Id).Distinct().Count(), Is.EqualTo(full.Count));
            // The READMEs' "about 780 cases": 125 for each model whose layer has 3 dense shapes (7B, 13B and the OPTs) and
            // 158 for 70B (k/v are narrower under GQA: 4 dense shapes, 6 sliced, 5 folded).
            Assert.That(full, Has.Count.EqualTo(5 * 125 + 158));
            foreach (var model in PublishedModels.Names)
                Assert.That(full.Where(c => c.Model == model).Select(c => (c.Tokens, c.Precision)).Distinct().Count(), Is.EqualTo(6), model);
        });
    }

    [Test]
    public void EveryTwoFourProductIsTriedInEverySetupAt2048TokensAndInThePrimaryOneElsewhere()
    {
        foreach (var group in GemmSuite.Smoke.Where(c => c.IsSparse).GroupBy(c => (c.Tokens, c.Precision, Ops: string.Join(",", c.Ops))))
        {
            var setups = group.Select(c => c.Sparse!).ToList();
            var expected = group.Key is (2048, GemmPrecision.Fp16, _) ? GemmSuite.SparseSetups : [GemmSuite.PrimarySparse];
            Assert.That(setups, Is.EqualTo(expected), group.Key.ToString());
        }
        Assert.Multiple(() =>
        {
            Assert.That(GemmSuite.SparseSetups[0], Is.EqualTo(new SparseSetup(SparseLtLayout.ColumnMajorTN, Search: false)), "the first run's setup first");
            Assert.That(GemmSuite.SparseSetups.Skip(1).All(s => s.Search), Is.True);
            Assert.That(GemmSuite.SparseSetups.Select(s => s.Name).Distinct().Count(), Is.EqualTo(GemmSuite.SparseSetups.Count));
        });
    }

    [Test]
    public void EachReplacementProductPointsAtTheDenseCaseOfItsBlock()
    {
        foreach (var c in GemmSuite.Full.Where(c => c.DenseReferenceId is not null))
        {
            var dense = GemmSuite.Full.Single(d => d.Id == c.DenseReferenceId);
            Assert.That((dense.Variant, dense.Model, dense.Tokens, dense.Precision), Is.EqualTo((GemmVariant.Dense, c.Model, c.Tokens, c.Precision)), c.Id);
            Assert.That(dense.Ops, Does.Contain(c.Ops[0]), c.Id);
        }
    }

    [TestCase(1, 8)]
    [TestCase(8, 8)]
    [TestCase(32, 32)]
    [TestCase(2048, 2048)]
    public void TwoFourRowsArePaddedToEightButCreditedWithTheRealTokens(int tokens, int rows)
    {
        var sparse = GemmSuite.Smoke.First(c => c.IsSparse && c.Tokens == tokens);
        var dense = GemmSuite.Smoke.First(c => c.Variant == GemmVariant.Dense && c.Tokens == tokens);
        Assert.Multiple(() =>
        {
            Assert.That(sparse.Rows, Is.EqualTo(rows));
            Assert.That(dense.Rows, Is.EqualTo(tokens), "cuBLAS takes any row count");
            Assert.That(sparse.Flops, Is.EqualTo(2.0 * tokens * sparse.OutFeatures * sparse.InFeatures));
        });
    }

    [Test]
    public void FoldingAppendsEachShortcutToItsNeighboursReduction()
    {
        var sliced = GemmSuite.LayerProducts("llama-2-7b", GemmVariant.Sliced25);
        var folded = GemmSuite.LayerProducts("llama-2-7b", GemmVariant.Sliced25Folded);
        Assert.Multiple(() =>
        {
            Assert.That(folded.Any(p => p.IsShortcut), Is.False);
            Assert.That(folded.Single(p => p.Name == "o"), Is.EqualTo(new LayerGemm(LayerGemmRole.AttentionOutput, "o", 3072, 4096 + 3072)));
            Assert.That(folded.Single(p => p.Name == "down"), Is.EqualTo(new LayerGemm(LayerGemmRole.Down, "down", 3072, 11008 + 3072)));
            Assert.That(folded.Where(p => p.Name is not ("o" or "down")), Is.EqualTo(sliced.Where(p => !p.IsShortcut && p.Name is not ("o" or "down"))));
            // Same multiply-adds as the separate products: folding saves launches and an output pass, not arithmetic.
            Assert.That(folded.Sum(p => p.Flops(2048)), Is.EqualTo(sliced.Sum(p => p.Flops(2048))));
            var opt = GemmSuite.LayerProducts("opt-13b", GemmVariant.Sliced50Folded);
            Assert.That(opt.Single(p => p.Name == "fc2").InFeatures, Is.EqualTo(20480 + 2560));
        });
    }

    [Test]
    public void FoldingADenseLayerIsRefused() =>
        Assert.Throws<NotSupportedException>(() => GemmSuite.FoldShortcuts(GemmSuite.LayerProducts("llama-2-7b", GemmVariant.Dense)));

    [Test]
    public void FoldedProductsOfUnchangedShapeKeepTheirDenseReference()
    {
        var folded = GemmSuite.Smoke.Where(c => c.Variant == GemmVariant.Sliced25Folded).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(folded.Single(c => c.Ops.Contains("q")).DenseReferenceId, Is.Not.Null);
            Assert.That(folded.Single(c => c.Ops.Contains("o")).DenseReferenceId, Is.Null, "o with extra K has no dense counterpart");
            Assert.That(folded.Single(c => c.Ops.Contains("down")).DenseReferenceId, Is.Null);
        });
    }

    [Test]
    public void TheShapeListHasOneRowPerProductWithTwoFourSetupsCollapsed()
    {
        var lines = ShapeList.Lines(GemmSuite.Smoke).ToList();
        var rows = lines.Skip(1).ToList();
        int products = GemmSuite.Smoke.Where(c => c.Sparse is null || c.Sparse == GemmSuite.PrimarySparse).Sum(c => c.Ops.Count);
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Is.EqualTo(ShapeList.Header));
            Assert.That(rows, Has.Count.EqualTo(products));
            Assert.That(rows.Distinct().Count(), Is.EqualTo(rows.Count));
            Assert.That(rows, Does.Contain("llama-2-7b,SparseGPT 2:4,q,1,4096,4096,fp16,sparse24,out_in"));
            Assert.That(rows, Does.Contain("llama-2-7b,SliceGPT (25%),attn shortcut,2048,3072,3072,fp16,dense,in_out"));
            Assert.That(rows, Does.Contain("llama-2-7b,SliceGPT (50%) folded,down,2048,2048,13056,fp16,dense,out_in"));
            Assert.That(rows, Does.Contain("llama-2-7b,Dense,gate,2048,11008,4096,bf16,dense,out_in"));
        });
    }

    [Test]
    public void OnlySmokeAndFullAreSuites() =>
        Assert.Throws<ArgumentException>(() => ShapeList.Suite("medium"));
}
