using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using SliceGpt.Bench.Support;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Bench.Cpu;

/// <summary>
/// Wall time of the whole CPU slicing pipeline (fusion, calibration forward passes, float64 covariances,
/// eigendecompositions, rotations) at 25% sparsity, on the real tiny models with 128 × 256 calibration tokens and on
/// a random model with OPT-125M's shapes with 128 × 2048 tokens. One run each: a run takes seconds to minutes.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1)]
public class CpuSlicingBenchmarks : ITokenCount
{
    private TransformerModel<float> _model = null!;
    private CalibrationSet _calibration = null!;

    [Params("stories260K", "babyllama", "opt-125m-shapes")]
    public string Model { get; set; } = "stories260K";

    public long TokensPerOperation => _calibration?.Tokens.Length ?? (Model == "opt-125m-shapes" ? 128L * 2048 : 128L * 256);

    [GlobalSetup]
    public void Setup()
    {
        (_model, int seqLen) = Model switch
        {
            "stories260K" => (ModelLoader.Load<float>(SharedFiles.Get("models", "stories260K", "stories260K.bin")), 256),
            "babyllama" => (ModelLoader.Load<float>(SharedFiles.Get("models", "babyllama-tok105", "model5000.bin")), 256),
            _ => (RandomModel.Create(RandomModel.Opt125m), 2048),
        };
        var rng = new Random(3);
        var tokens = Enumerable.Range(0, 128 * seqLen).Select(_ => rng.Next(_model.Config.VocabSize)).ToArray();
        _calibration = new CalibrationSet(tokens, 128, seqLen);
    }

    [Benchmark(Description = "slice 25%")]
    public long Slice() => SliceGptPipeline.Slice(_model, _calibration, new SlicingOptions { Sparsity = 0.25 }).Model.ParameterCount;
}
