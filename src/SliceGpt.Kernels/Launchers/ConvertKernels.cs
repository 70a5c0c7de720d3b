using SliceGpt.Kernels.Args;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels;

/// <summary>
/// Launches convert.cu: float ↔ Half, float ↔ BFloat16 (round to nearest even), double ↔ float (rotations
/// are computed in fp64, models stored in fp32/fp16/bf16).
/// </summary>
public sealed class ConvertKernels
{
    private const string File = "convert.cu";
    private static readonly string[] Pairs = ["f32_to_f16", "f16_to_f32", "f32_to_bf16", "bf16_to_f32", "f64_to_f32", "f32_to_f64"];
    private readonly CudaKernels _kernels;
    private readonly Dictionary<string, CudaFunction> _functions = new();
    private readonly object _lock = new();

    internal ConvertKernels(CudaKernels kernels) => _kernels = kernels;

    /// <summary>The source file and entry points.</summary>
    public static KernelFamily Family { get; } = new(File, Pairs.Select(p => $"convert_{p}").ToList());

    /// <summary>destination[i] = (TTo)source[i] for the first <paramref name="count"/> elements.</summary>
    /// <exception cref="NotSupportedException">The pair is not one of the six conversions.</exception>
    public void Convert<TFrom, TTo>(CudaStream stream, DeviceMemory<TFrom> source, DeviceMemory<TTo> destination, long count)
        where TFrom : unmanaged where TTo : unmanaged
    {
        var pair = $"{KernelTypes.Suffix<TFrom>()}_to_{KernelTypes.Suffix<TTo>()}";
        if (!Pairs.Contains(pair))
            throw new NotSupportedException($"convert: no kernel converts {typeof(TFrom).Name} to {typeof(TTo).Name}");
        KernelGeometry.NonNegative(count, nameof(count), "convert");
        if (count == 0)
            return;
        source.EnsureLength(count, "convert: source [count]");
        destination.EnsureLength(count, "convert: destination [count]");
        var args = new ConvertArgs { Source = source.Address, Destination = destination.Address, Count = count };
        KernelLauncher.Launch(Function(pair), KernelGeometry.Elementwise(count, _kernels.Context.Device), stream, args);
    }

    private CudaFunction Function(string pair)
    {
        lock (_lock)
        {
            if (!_functions.TryGetValue(pair, out var function))
            {
                function = _kernels.Modules.GetFunction(KernelSources.Get(File), $"convert_{pair}");
                _functions.Add(pair, function);
            }
            return function;
        }
    }
}
