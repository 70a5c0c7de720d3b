using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Diagnostics;
using SliceGpt.Runtime.Numerics;

namespace SliceGpt.Bench.Cpu;

/// <summary>
/// The cost of checking every weight for NaN and infinity when a checkpoint is read (issue 14), on a 1 GiB synthetic
/// safetensors file of 4096×4096 tensors, stored as F32 (2^28 weights) or BF16 (2^29 weights), read into float32 from
/// the page cache. "read" converts without the check, "read + check" is what loading does, "check only" scans the
/// already converted weights (<see cref="NonFiniteScan"/>, TensorPrimitives.IsFiniteAll per 16K-element chunk).
/// </summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class NonFiniteScanBenchmarks
{
    private const int Side = 4096;
    private const long FileBytes = 1L << 30;

    private string _folder = "";
    private MappedFile _file = null!;
    private List<TensorInfo> _tensors = [];
    private float[][] _weights = [];

    [Params("F32", "BF16")]
    public string DType { get; set; } = "F32";

    [GlobalSetup]
    public void Setup()
    {
        var dtype = DType == "F32" ? TensorDType.F32 : TensorDType.BF16;
        int count = (int)(FileBytes / ((long)Side * Side * dtype.Size()));
        _folder = Directory.CreateTempSubdirectory("slicegpt-bench-scan-").FullName;
        var path = Path.Combine(_folder, "model.safetensors");
        WriteCheckpoint(path, dtype, count);
        _file = MappedFile.Open(path);
        _tensors = [.. SafetensorsHeader.Parse(_file).Tensors.Values.OrderBy(t => t.ByteOffset)];
        _weights = [.. _tensors.Select(_ => new float[Side * Side])];

        // Correctness: the checked read passes on finite weights, and the scan finds a NaN planted late in a tensor.
        ReadAndCheck();
        var probe = (float[])_weights[0].Clone();
        probe[Side * Side - 3] = float.NaN;
        if (NonFiniteScan.IndexOfNonFinite<float>(probe) != Side * Side - 3)
            throw new InvalidOperationException("the scan missed a planted NaN");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _file.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "read (convert, no check)")]
    public void Read()
    {
        for (int i = 0; i < _tensors.Count; i++)
            TensorReader.Read<float>(_file, _tensors[i], _weights[i], checkFinite: false);
    }

    [Benchmark(Description = "read + check (loading)")]
    public void ReadAndCheck()
    {
        for (int i = 0; i < _tensors.Count; i++)
            TensorReader.Read<float>(_file, _tensors[i], _weights[i]);
    }

    [Benchmark(Description = "check only")]
    public long CheckOnly()
    {
        long found = 0;
        foreach (var w in _weights)
            found += NonFiniteScan.IndexOfNonFinite<float>(w);
        return found;
    }

    // Random finite weights in [-1, 1); one tensor's bytes are written `count` times (the values do not change the cost).
    private static void WriteCheckpoint(string path, TensorDType dtype, int count)
    {
        var rng = new Random(14);
        var values = new float[Side * Side];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(rng.NextDouble() * 2 - 1);
        byte[] bytes;
        if (dtype == TensorDType.F32)
            bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        else
        {
            var bf = new ushort[values.Length];
            for (int i = 0; i < bf.Length; i++)
                bf[i] = ElementConversion.ToBFloat16(values[i]);
            bytes = MemoryMarshal.AsBytes(bf.AsSpan()).ToArray();
        }
        var writer = new SafetensorsWriter();
        for (int t = 0; t < count; t++)
            writer.Add($"layers.{t:D2}.weight", dtype, [Side, Side], bytes);
        writer.Write(path);
    }
}
