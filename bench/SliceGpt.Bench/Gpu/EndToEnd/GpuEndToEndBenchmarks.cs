using BenchmarkDotNet.Attributes;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>
/// The paper's appendix A.6 (Table 11) and Table 2 on this engine's GPU path, for LLAMA-2-7B-shaped models in fp16,
/// dense and sliced 25%/50%: prefill throughput at sequence length 128 for batches 1 to 1024 (doubling until it no
/// longer fits), and batch-1 decode latency over 128 tokens with the share of the memory-bandwidth roofline. Expected to
/// take about two minutes on an H200, model uploads included (not yet run on a GPU). Results: <c>*-end-to-end.md</c> and <c>.csv</c>.
/// </summary>
[Config(typeof(EndToEndConfig.Full))]
public class GpuEndToEndBenchmarks : EndToEndBenchmarkBase
{
    /// <summary>The full suite's cases.</summary>
    public static IEnumerable<EndToEndCase> Cases => EndToEndSuite.Full;

    /// <inheritdoc/>
    [ParamsSource(nameof(Cases))]
    public override EndToEndCase Case { get; set; } = EndToEndSuite.Full[0];
}

/// <summary>
/// The quick end-to-end check (part of <c>--smoke</c>): the same three models, prefill at batches 1, 16 and 128, and
/// 32 decode steps; expected under a minute on an H200, most of it building and uploading the three 7B-shaped models.
/// </summary>
[Config(typeof(EndToEndConfig.Smoke))]
public class GpuEndToEndSmokeBenchmarks : EndToEndBenchmarkBase
{
    /// <summary>The smoke suite's cases.</summary>
    public static IEnumerable<EndToEndCase> Cases => EndToEndSuite.Smoke;

    /// <inheritdoc/>
    [ParamsSource(nameof(Cases))]
    public override EndToEndCase Case { get; set; } = EndToEndSuite.Smoke[0];
}

/// <summary>
/// One case per BenchmarkDotNet benchmark. Setup gets the case's model onto the GPU (once per variant), creates the
/// session, checks one forward and warms up; each call of <see cref="Measure"/> runs <see cref="EndToEndCase.SamplesPerCall"/>
/// samples timed with CUDA events and records them in <see cref="GpuTimings"/>, which the columns and exporters report.
/// A case that does not fit the device is recorded as skipped (with the reason) and its calls do nothing.
/// </summary>
public abstract class EndToEndBenchmarkBase
{
    private IEndToEndWorkload? _workload;
    private double[] _microseconds = [];
    private int _calls;

    /// <summary>What to measure.</summary>
    public abstract EndToEndCase Case { get; set; }

    /// <summary>Prepares the case on the GPU.</summary>
    /// <exception cref="GpuUnavailableException">No usable GPU; every case fails at once with the same reason.</exception>
    [GlobalSetup]
    public void Setup()
    {
        EndToEndResults.Reset(Case.Id);
        _calls = 0;
        _microseconds = new double[Case.SamplesPerCall];
        try
        {
            _workload = EndToEndWorkloads.Create(Case);
        }
        catch (CaseSkippedException e)
        {
            EndToEndResults.Skip(Case.Id, e.Message);
            Console.WriteLine($"// SliceGpt.Bench: {Case.Id}: skipped: {e.Message}");
        }
    }

    /// <summary>Times one call's samples on the GPU (nothing when the case was skipped).</summary>
    [Benchmark]
    public void Measure()
    {
        if (_workload is null)
            return;
        _workload.TimeCall(_microseconds);
        if (++_calls > EndToEndConfig.WarmupCalls)
            GpuTimings.Add(Case.Id, _microseconds);
    }

    /// <summary>Frees the case's session (the model stays for the next case of its variant).</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _workload?.Dispose();
        _workload = null;
    }
}
