using SliceGpt.Runtime.Sparsity;

namespace SliceGpt.Runtime.Tests.Sparsity;

/// <summary>Magnitude 2:4 pruning, the pattern the GPU benchmarks give cuSPARSELt.</summary>
public class TwoFourPruningTests
{
    [Test]
    public void KeepsExactlyTheTwoLargestMagnitudesOfEveryGroupOfFour()
    {
        const int rows = 37, inFeatures = 64;
        var rng = new Random(7);
        // Non-zero values of both signs, so exactly two survive per group and signs cannot decide the choice.
        var original = Enumerable.Range(0, rows * inFeatures)
            .Select(_ => (float)((rng.NextDouble() + 0.01) * (rng.Next(2) == 0 ? -1 : 1))).ToArray();
        var pruned = original.ToArray();
        TwoFourPruning.PruneInPlace<float>(pruned, inFeatures);
        for (int g = 0; g < original.Length; g += 4)
        {
            var kept = Enumerable.Range(g, 4).Where(i => pruned[i] != 0).ToArray();
            var dropped = Enumerable.Range(g, 4).Except(kept).ToArray();
            Assert.That(kept, Has.Length.EqualTo(2), $"group at {g}");
            Assert.That(kept.Min(i => Math.Abs(original[i])), Is.GreaterThanOrEqualTo(dropped.Max(i => Math.Abs(original[i]))), $"group at {g}");
            Assert.That(kept.Select(i => pruned[i]), Is.EqualTo(kept.Select(i => original[i])), "kept values are not changed");
        }
        Assert.That(TwoFourPruning.IsTwoFour<float>(pruned, inFeatures), Is.True);
        Assert.That(TwoFourPruning.IsTwoFour<float>(original, inFeatures), Is.False);
    }

    [Test]
    public void MatchesABruteForceChoiceOnHalf_TiesKeepTheEarlierEntry()
    {
        // Half is what the benchmarks prune; a small value set makes ties common.
        var rng = new Random(11);
        var values = Enumerable.Range(0, 4096).Select(_ => (Half)(rng.Next(-3, 4) * 0.5)).ToArray();
        var pruned = values.ToArray();
        TwoFourPruning.PruneInPlace<Half>(pruned, 16);
        for (int g = 0; g < values.Length; g += 4)
        {
            var keep = Enumerable.Range(g, 4).OrderByDescending(i => Half.Abs(values[i])).ThenBy(i => i).Take(2).ToHashSet();
            for (int i = g; i < g + 4; i++)
                Assert.That(pruned[i], Is.EqualTo(keep.Contains(i) ? values[i] : Half.Zero), $"entry {i}");
        }
        var ties = new Half[] { (Half)1, (Half)(-1), (Half)1, (Half)1 };
        TwoFourPruning.PruneInPlace<Half>(ties, 4);
        Assert.That(ties, Is.EqualTo(new Half[] { (Half)1, (Half)(-1), Half.Zero, Half.Zero }));
    }

    [Test]
    public void PruningIsIdempotent()
    {
        var w = new float[] { 0, 3, 0, -4, 5, 0, 0, 0, 1, 2, 3, 4 };
        TwoFourPruning.PruneInPlace<float>(w, 12);
        var again = w.ToArray();
        TwoFourPruning.PruneInPlace<float>(again, 12);
        Assert.That(again, Is.EqualTo(w));
        Assert.That(w, Is.EqualTo(new float[] { 0, 3, 0, -4, 5, 0, 0, 0, 0, 0, 3, 4 }));
    }

    [Test]
    public void RejectsShapesThatAreNotGroupsOfFourPerRow()
    {
        var e = Assert.Throws<ArgumentException>(() => TwoFourPruning.PruneInPlace<float>(new float[12], 6))!;
        Assert.That(e.Message, Does.Contain("inFeatures = 6"));
        Assert.Throws<ArgumentException>(() => TwoFourPruning.PruneInPlace<float>(new float[10], 8));
        Assert.Throws<ArgumentException>(() => TwoFourPruning.IsTwoFour<float>(new float[8], 0));
    }
}
