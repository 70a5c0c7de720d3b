using SliceGpt.Bench.Gpu.EndToEnd;
using SliceGpt.Runtime.Slicing;

namespace SliceGpt.Bench.Tests;

/// <summary>The slicing suite's phases from progress timestamps, its extrapolation, and its time budget.</summary>
public class SlicingTimerTests
{
    [Test]
    public void CompletedRun_SplitsIntoSetupLayersAndHead_AndExtrapolatesTheMissingLayers()
    {
        // Embeddings rotated at 5 s; layers done at 7, 10 and 12 s; returned at 13 s.
        var phases = SlicingPhases.From([(-1, 5.0), (0, 7.0), (1, 10.0), (2, 12.0)], 13.0, layers: 3);
        Assert.Multiple(() =>
        {
            Assert.That(phases.Completed, Is.True);
            Assert.That(phases.SetupSeconds, Is.EqualTo(5.0));
            Assert.That(phases.LayerSeconds, Is.EqualTo(new[] { 2.0, 3.0, 2.0 }));
            Assert.That(phases.MedianLayerSeconds, Is.EqualTo(2.0));
            Assert.That(phases.HeadSeconds, Is.EqualTo(1.0));
            Assert.That(phases.Extrapolate(3), Is.EqualTo(13.0), "nothing to add for the model that ran");
            Assert.That(phases.Extrapolate(32), Is.EqualTo(13.0 + 29 * 2.0));
        });
    }

    [Test]
    public void StoppedRun_HasNoHead_AndGivesALowerBound()
    {
        var phases = SlicingPhases.From([(-1, 5.0), (0, 9.0)], 9.0, layers: 32);
        Assert.Multiple(() =>
        {
            Assert.That(phases.Completed, Is.False);
            Assert.That(phases.HeadSeconds, Is.NaN);
            Assert.That(phases.Extrapolate(32), Is.EqualTo(9.0 + 31 * 4.0));
        });
    }

    [Test]
    public void RunStoppedBeforeAnyLayer_CannotBeExtrapolated()
    {
        var phases = SlicingPhases.From([(-1, 5.0)], 5.0, layers: 32);
        Assert.That(phases.Extrapolate(32), Is.NaN);
    }

    [Test]
    public void Timer_StopsAtTheFirstReportPastTheBudget_ButNotAfterTheLastLayer()
    {
        var timer = new SlicingTimer(budgetSeconds: 0);
        Assert.Throws<SlicingBudgetExceededException>(() => timer.Report(new SlicingProgress(-1, 32, "embeddings rotated")));
        Assert.That(timer.Reports, Has.Count.EqualTo(1), "the report that stopped the run is kept");
        var last = new SlicingTimer(budgetSeconds: 0);
        Assert.DoesNotThrow(() => last.Report(new SlicingProgress(31, 32, "layer sliced")), "only the head is left: finish it");
        var ample = new SlicingTimer(budgetSeconds: 3600);
        Assert.DoesNotThrow(() => ample.Report(new SlicingProgress(0, 32, "layer sliced")));
    }

    [Test]
    public void Budget_ComesFromTheEnvironmentWhenSet()
    {
        const string name = "SLICEGPT_BENCH_SLICING_BUDGET_S";
        var saved = Environment.GetEnvironmentVariable(name);
        try
        {
            Environment.SetEnvironmentVariable(name, null);
            Assert.That(SlicingTimeSuite.Budget(240), Is.EqualTo(240));
            Environment.SetEnvironmentVariable(name, "90.5");
            Assert.That(SlicingTimeSuite.Budget(240), Is.EqualTo(90.5));
            Environment.SetEnvironmentVariable(name, "soon");
            Assert.That(SlicingTimeSuite.Budget(240), Is.EqualTo(240), "an unreadable value keeps the default");
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, saved);
        }
    }
}
