using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>
/// Puts float weights into one device arena in storage type <typeparamref name="T"/>. Callers walk their weights
/// twice with the same calls: first to plan (every method returns null views), then, after
/// <see cref="Allocate"/>, to upload (each tensor converted on the host through one reusable chunk and copied,
/// so nothing the size of the model is allocated on the host). A tensor met twice (a head tied to the
/// embedding) is stored once, unless the uploader was made with <c>shareRepeatedTensors: false</c>.
/// </summary>
/// <param name="shareRepeatedTensors">
/// True (the default): one device copy per host array. False: one device copy per use, so a model whose blocks share
/// host arrays (the benchmarks' random 7B models reuse one host layer for all 32 blocks to save 25 GB of host fp32)
/// still gets a device copy per block, and reads as much device memory per forward as a real checkpoint would.
/// A tied head is then stored twice.
/// </param>
internal sealed class WeightUploader<T>(bool shareRepeatedTensors = true) where T : unmanaged
{
    private const int ChunkElements = 1 << 20;
    private readonly Dictionary<float[], ArenaSlot<byte>> _placed = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<float[], ArenaSlot<byte>> _placedFloat32 = new(ReferenceEqualityComparer.Instance);
    private ArenaLayout _layout = new();
    private DeviceArena? _arena;
    private T[]? _chunk;

    /// <summary>Ends planning and allocates the arena; the next walk uploads. Returns the arena, which the caller owns.</summary>
    public DeviceArena Allocate(IGpu gpu, string what)
    {
        _arena = DeviceArena.Allocate(gpu, _layout, what);
        _layout = new ArenaLayout();
        _placed.Clear();
        _placedFloat32.Clear();
        return _arena;
    }

    /// <summary>A tensor in storage type T (null when <paramref name="data"/> is null).</summary>
    public DeviceMemory<T> Tensor(float[]? data) => data is null ? default : View<T>(Place<T>(data));

    /// <summary>A tensor kept in fp32 whatever T is (the head bias, added to fp32 logits).</summary>
    public DeviceMemory<float> Float32(float[]? data) => data is null ? default : View<float>(Place<float>(data));

    /// <summary>A linear layer.</summary>
    public CudaLinear<T> Linear(Linear<float> linear) =>
        new(Tensor(linear.Weight.Data), Tensor(linear.Bias), linear.InFeatures, linear.OutFeatures);

    /// <summary>A norm; eps rounded to float as the CPU reference's float32 path rounds it.</summary>
    public CudaNorm<T> Norm(Norm<float> norm) => new(norm.Kind, Tensor(norm.Weight), Tensor(norm.Bias), (float)norm.Eps, norm.MeanDim);

    /// <summary>A shortcut matrix; null stays the identity.</summary>
    public CudaMatrix<T> Shortcut(Matrix<float>? matrix) =>
        matrix is null ? default : new CudaMatrix<T>(Tensor(matrix.Data), matrix.Rows, matrix.Cols);

    /// <summary>A whole block.</summary>
    public CudaLayer<T> Layer(TransformerLayer<float> layer) => new(
        Norm(layer.AttentionNorm), Linear(layer.Qkv), Linear(layer.AttentionOut),
        layer.MlpNorm is null ? null : Norm(layer.MlpNorm), Linear(layer.Up), Linear(layer.Down),
        Shortcut(layer.AttentionShortcut), Shortcut(layer.MlpShortcut));

    private ArenaSlot<byte> Place<TStored>(float[] data) where TStored : unmanaged
    {
        // Stored once per (array, type): a tied head reuses the embedding's region.
        var placed = typeof(TStored) == typeof(T) ? _placed : _placedFloat32;
        if (shareRepeatedTensors && placed.TryGetValue(data, out var existing))
            return existing;
        var slot = _layout.Reserve<TStored>(data.Length);
        var bytes = new ArenaSlot<byte>(slot.ByteOffset, data.LongLength * Unsafe.SizeOf<TStored>());
        if (shareRepeatedTensors)
            placed.Add(data, bytes);
        if (_arena is not null)
            Upload<TStored>(data, slot.ByteOffset);
        return bytes;
    }

    private void Upload<TStored>(float[] data, long byteOffset) where TStored : unmanaged
    {
        if (typeof(TStored) == typeof(float))
        {
            _arena!.Upload(MemoryMarshal.AsBytes(data.AsSpan()), byteOffset);
            return;
        }
        _chunk ??= new T[ChunkElements];
        int size = Unsafe.SizeOf<T>();
        for (int start = 0; start < data.Length; start += ChunkElements)
        {
            int count = Math.Min(ChunkElements, data.Length - start);
            HostConversion.FromFloat<T>(data.AsSpan(start, count), _chunk.AsSpan(0, count));
            _arena!.Upload(MemoryMarshal.AsBytes(_chunk.AsSpan(0, count)), byteOffset + (long)start * size);
        }
    }

    private DeviceMemory<TView> View<TView>(ArenaSlot<byte> slot) where TView : unmanaged =>
        _arena is null ? default : _arena.View(slot).Cast<TView>();
}
