using BenchmarkDotNet.Attributes;
using SliceGpt.Bench.Support;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Bench.Cpu;

/// <summary>
/// CPU prefill throughput: one row of <see cref="Tokens"/> tokens through the whole model, logits and NLL of every
/// position (the perplexity workload). The tokens are 1 then (i·7919) mod vocab, exactly as
/// <c>bench/c-reference/prefill.c</c> feeds its plain C forward pass, so the two can be compared on one machine.
/// "llama-125m-shapes" is the random llama2.c file that <c>bench/c-reference/run.sh</c> writes (OPT-125M's compute
/// in Llama form), read from <c>$SLICEGPT_BENCH_LLAMA125M</c>; "opt-125m-shapes" is a random OPT with OPT-125M's shapes.
/// </summary>
[MemoryDiagnoser]
public class CpuPrefillBenchmarks : ITokenCount
{
    private IInferenceSession _session = null!;
    private int[] _tokens = [];
    private readonly double[] _nll = new double[1];

    [Params("stories260K", "llama-125m-shapes", "opt-125m-shapes")]
    public string Model { get; set; } = "stories260K";

    [Params(256)]
    public int Tokens { get; set; } = 256;

    public long TokensPerOperation => Tokens;

    [GlobalSetup]
    public void Setup()
    {
        var model = Model switch
        {
            "stories260K" => ModelLoader.Load<float>(SharedFiles.Get("models", "stories260K", "stories260K.bin")),
            "llama-125m-shapes" => ModelLoader.Load<float>(Environment.GetEnvironmentVariable("SLICEGPT_BENCH_LLAMA125M")
                ?? throw new InvalidOperationException("set SLICEGPT_BENCH_LLAMA125M to the file bench/c-reference/run.sh writes")),
            _ => RandomModel.Create(RandomModel.Opt125m),
        };
        _tokens = Enumerable.Range(0, Tokens).Select(i => i == 0 ? 1 : (int)((long)i * 7919 % model.Config.VocabSize)).ToArray();
        _session = new CpuExecutableModel<float>(model).CreateSession(1, Tokens);
        Prefill();
        if (!double.IsFinite(_nll[0]))
            throw new InvalidOperationException($"{Model}: the prefill produced a non-finite NLL");
    }

    [Benchmark(Description = "prefill + logits of every position")]
    public double Prefill()
    {
        _session.RowNegLogLikelihoods(_tokens, 1, Tokens, _nll);
        return _nll[0];
    }

    [GlobalCleanup]
    public void Cleanup() => _session.Dispose();
}
