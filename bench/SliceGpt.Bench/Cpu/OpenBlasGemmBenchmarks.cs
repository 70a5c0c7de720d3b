using BenchmarkDotNet.Attributes;
using SliceGpt.Native.Cpu;

namespace SliceGpt.Bench.Cpu;

/// <summary>
/// Single-threaded OpenBLAS sgemm at the layer shapes of LLAMA-2 7B scaled down by 8 (D 512, MLP 1376) for 256
/// tokens, dense and sliced 25% — a CPU stand-in for the per-matmul GPU suite that runs anywhere.
/// </summary>
public class OpenBlasGemmBenchmarks
{
    private float[] _x = [], _w = [], _y = [];

    // (name, rows of W = out, cols of W = in)
    [Params("q 512x512", "q 512x384 (25%)", "up 1376x512", "up 1376x384 (25%)", "down 512x1376", "down 384x1376 (25%)")]
    public string Shape { get; set; } = "q 512x512";

    [Params(256)]
    public int Tokens { get; set; } = 256;

    private (int Out, int In) Dims
    {
        get
        {
            var dims = Shape.Split(' ')[1].Split('x');
            return (int.Parse(dims[0]), int.Parse(dims[1]));
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        var (o, i) = Dims;
        var rng = new Random(1);
        _x = Enumerable.Range(0, Tokens * i).Select(_ => (float)rng.NextDouble()).ToArray();
        _w = Enumerable.Range(0, o * i).Select(_ => (float)rng.NextDouble()).ToArray();
        _y = new float[Tokens * o];
    }

    [Benchmark(Description = "sgemm y = x·Wᵀ")]
    public float Gemm()
    {
        var (o, i) = Dims;
        CpuBlas.Gemm(false, true, Tokens, o, i, 1f, _x, i, _w, i, 0f, _y, o);
        return _y[0];
    }
}
