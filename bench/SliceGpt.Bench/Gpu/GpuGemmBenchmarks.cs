using BenchmarkDotNet.Attributes;
using SliceGpt.Bench.Gpu.EndToEnd;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu;

/// <summary>
/// The paper's appendix A.7 on this engine's GPU path: every matrix product of one layer of LLAMA-2 7B/13B/70B and
/// OPT-13B/30B/66B, dense, SparseGPT 2:4 (cuSPARSELt, in every layout of <see cref="GemmSuite.SparseSetups"/> at 2048
/// tokens) and SliceGPT 25%/50% (smaller cuBLAS products, plus the shortcut matrices, or with them folded), at 2048 tokens
/// in fp16, at the decode batches 1, 8, 32 and 128 in fp16, and at 2048 tokens in bf16 (<see cref="GemmSuite.Blocks"/>),
/// with the per-layer totals of Tables 12 and 13 written as markdown and CSV. About 780 cases: an estimated 5 minutes on
/// an H200. Times are GPU times between CUDA events (see <see cref="GemmBenchmarkBase"/>).
/// </summary>
[Config(typeof(GpuGemmConfig.Full))]
public class GpuGemmBenchmarks : GemmBenchmarkBase
{
    /// <summary>All cases of the six models.</summary>
    public static IEnumerable<GemmCase> Cases => GemmSuite.Full;

    /// <inheritdoc/>
    [ParamsSource(nameof(Cases))]
    public override GemmCase Case { get; set; } = GemmSuite.Full[0];
}

/// <summary>
/// The quick GPU check (<c>--smoke</c>): LLAMA-2 7B's layer in every block and variant of the full suite with few
/// repetitions (about 125 cases, an estimated minute and a half on an H200); it exercises every code path of the full
/// suite (cuBLAS in fp16 and bf16, cuSPARSELt in every layout with its search, shortcuts, folding, totals).
/// </summary>
[Config(typeof(GpuGemmConfig.Smoke))]
public class GpuGemmSmokeBenchmarks : GemmBenchmarkBase
{
    /// <summary>LLAMA-2 7B's cases.</summary>
    public static IEnumerable<GemmCase> Cases => GemmSuite.Smoke;

    /// <inheritdoc/>
    [ParamsSource(nameof(Cases))]
    public override GemmCase Case { get; set; } = GemmSuite.Smoke[0];
}

/// <summary>
/// One case per BenchmarkDotNet benchmark. Timing: BenchmarkDotNet measures wall time, which here would be the host's
/// queueing, the L2 flush and the wait for the GPU. So each call of <see cref="Gemm"/> times
/// <see cref="RepetitionsPerCall"/> products with CUDA events around the product alone (<see cref="GemmWorkload{T}"/>),
/// records them in <see cref="GpuTimings"/>, and the suites' columns and exporters report those GPU times; the config
/// hides BenchmarkDotNet's wall-clock statistics so no host time is mistaken for a product's time.
/// </summary>
public abstract class GemmBenchmarkBase
{
    /// <summary>Products timed per call (BenchmarkDotNet's OperationsPerInvoke).</summary>
    public const int RepetitionsPerCall = 25;

    private readonly double[] _microseconds = new double[RepetitionsPerCall];
    private IGemmWorkload? _workload;
    private int _calls;

    /// <summary>The product to time.</summary>
    public abstract GemmCase Case { get; set; }

    /// <summary>
    /// Starts the GPU (once per process), uploads the operands, checks one product against fp64 and warms up. A case that
    /// cannot run for an expected reason (a cuSPARSELt layout the library lacks) is recorded as skipped, with the reason.
    /// </summary>
    /// <exception cref="GpuUnavailableException">No usable GPU; every case fails at once with the same reason.</exception>
    [GlobalSetup]
    public void Setup()
    {
        GemmResults.Reset(Case.Id);
        _calls = 0;
        try
        {
            _workload = GemmWorkloads.Create(Case, RepetitionsPerCall);
        }
        catch (CaseSkippedException e)
        {
            GemmResults.Skip(Case.Id, e.Message);
            Console.WriteLine($"// SliceGpt.Bench: {Case.Id}: skipped: {e.Message}");
        }
        // The host operands (up to a GB per case) are garbage now: collect them before timing starts, not during it.
        GC.Collect();
    }

    /// <summary>Times <see cref="RepetitionsPerCall"/> products on the GPU (nothing when the case was skipped).</summary>
    [Benchmark(OperationsPerInvoke = RepetitionsPerCall)]
    public void Gemm()
    {
        if (_workload is null)
            return;
        _workload.TimeRepetitions(_microseconds);
        // The first calls are BenchmarkDotNet's warm-up iterations (GpuGemmConfig's fixed schedule): timed like the
        // others, but not reported, so every sample comes from a measured iteration.
        if (++_calls > GpuGemmConfig.WarmupCalls)
            GpuTimings.Add(Case.Id, _microseconds);
    }

    /// <summary>Frees the case's device memory (the session's context, stream and handle stay for the next case).</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _workload?.Dispose();
        _workload = null;
    }
}
