using SliceGpt.Bench.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Bench.Tests;

/// <summary>
/// Which arguments select GPU suites, and the run on a machine without a usable GPU: one line saying why, exit code 2,
/// before BenchmarkDotNet starts. The exit-path tests report as skipped where a GPU is usable (they cover the other machines).
/// </summary>
[NonParallelizable]
public class PreflightTests
{
    [Test]
    public void Smoke_SelectsEveryGpuSuite_AndNeedsTheCudaBackend()
    {
        string[] args = ["--filter", .. BenchmarkSelection.SmokeFilters];
        Assert.Multiple(() =>
        {
            Assert.That(BenchmarkSelection.SelectsGpuSuites(args), Is.True);
            Assert.That(BenchmarkSelection.SelectsEndToEndSuites(args), Is.True);
        });
    }

    [TestCase("*GpuGemmBenchmarks*", true, false)]
    [TestCase("*GpuEndToEndBenchmarks*", true, true)]
    [TestCase("*GpuEndToEndSmokeBenchmarks*", true, true)]
    [TestCase("*GpuSlicingTime*", true, true)]
    [TestCase("*EndToEnd*", true, true)]
    [TestCase("*Gpu*", true, true)]
    [TestCase("*Cpu*", false, false)]
    public void Filters_SelectTheSuitesTheyMatch(string filter, bool gpu, bool endToEnd)
    {
        string[] args = ["--filter", filter];
        Assert.That((BenchmarkSelection.SelectsGpuSuites(args), BenchmarkSelection.SelectsEndToEndSuites(args)), Is.EqualTo((gpu, endToEnd)));
    }

    [Test]
    public void Listing_SelectsNothing() =>
        Assert.That(BenchmarkSelection.SelectsGpuSuites(["--list", "flat", "--filter", "*Gpu*"]), Is.False);

    [TestCase("--smoke")]
    [TestCase("--filter", "*GpuEndToEndBenchmarks*")]
    [TestCase("--filter", "*GpuSlicingTimeBenchmarks*")]
    [TestCase("--filter", "*GpuGemmBenchmarks*")]
    public void WithoutAUsableGpu_TheRunStopsWithOneLine_AndExitCode2(params string[] args)
    {
        if (GpuPresent(out var found))
            Assert.Ignore($"a CUDA device is present ({found}); this test covers machines without one");
        using var output = new StringWriter();
        int code = Program.Run(args, output);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(lines, Has.Length.EqualTo(1), output.ToString());
            Assert.That(lines[0], Does.StartWith("SliceGpt.Bench: the GPU suites cannot run: "));
        });
    }

    // Any device at all, usable or not: with one, the run would go on to BenchmarkDotNet and time for real.
    private static bool GpuPresent(out string found)
    {
        try
        {
            int count = CudaContext.DeviceCount();
            found = $"{count} device(s)";
            return count > 0;
        }
        catch (Exception e) when (e is CudaUnavailableException or CudaException)
        {
            found = e.Message;
            return false;
        }
    }
}
