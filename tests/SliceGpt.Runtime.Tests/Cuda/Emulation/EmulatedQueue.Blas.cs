using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Cuda;

namespace SliceGpt.Runtime.Tests.Cuda.Emulation;

// The elementwise, GEMM, loss and copy operations of the emulated queue, and its memory helpers.
internal sealed unsafe partial class EmulatedQueue<T>
{
    public void AddBias(DeviceMemory<T> y, DeviceMemory<T> bias, int rows, int width)
    {
        Need(y, (long)rows * width, "bias_add: y");
        Need(bias, width, "bias_add: bias");
        for (long i = 0; i < (long)rows * width; i++)
            St(y, i, Ld(y, i) + Ld(bias, i % width));
    }

    public void AddBias(DeviceMemory<float> y, DeviceMemory<float> bias, int rows, int width)
    {
        Need(y, (long)rows * width, "bias_add: y");
        Need(bias, width, "bias_add: bias");
        for (long i = 0; i < (long)rows * width; i++)
            F(y)[i] += F(bias)[i % width];
    }

    public void Linear(DeviceMemory<T> x, DeviceMemory<T> weight, DeviceMemory<T> y, int rows, int inFeatures, int outFeatures, bool accumulate)
    {
        LinearChecks(x, weight, rows, inFeatures, outFeatures);
        Need(y, (long)rows * outFeatures, "linear: y");
        for (long r = 0; r < rows; r++)
            for (long o = 0; o < outFeatures; o++)
                St(y, r * outFeatures + o, (accumulate ? Ld(y, r * outFeatures + o) : 0f) + Dot(x, r * inFeatures, weight, o * inFeatures, inFeatures));
    }

    public void LinearToFloat(DeviceMemory<T> x, DeviceMemory<T> weight, DeviceMemory<float> y, int rows, int inFeatures, int outFeatures)
    {
        LinearChecks(x, weight, rows, inFeatures, outFeatures);
        Need(y, (long)rows * outFeatures, "linear: y");
        for (long r = 0; r < rows; r++)
            for (long o = 0; o < outFeatures; o++)
                F(y)[r * outFeatures + o] = Dot(x, r * inFeatures, weight, o * inFeatures, inFeatures);
    }

    public void MatMul(DeviceMemory<T> a, int lda, DeviceMemory<T> b, int ldb, DeviceMemory<T> c, int ldc, int m, int n, int k)
    {
        MatMulChecks(a, lda, b, ldb, c, ldc, m, n, k);
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++)
            {
                float sum = 0;
                for (long p = 0; p < k; p++)
                    sum += Ld(a, i * lda + p) * Ld(b, p * ldb + j);
                St(c, i * ldc + j, sum);
            }
    }

    public void MatMul(DeviceMemory<double> a, int lda, DeviceMemory<double> b, int ldb, DeviceMemory<double> c, int ldc, int m, int n, int k)
    {
        MatMulChecks(a, lda, b, ldb, c, ldc, m, n, k);
        double* pa = (double*)a.Address, pb = (double*)b.Address, pc = (double*)c.Address;
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++)
            {
                double sum = 0;
                for (long p = 0; p < k; p++)
                    sum += pa[i * lda + p] * pb[p * ldb + j];
                pc[i * ldc + j] = sum;
            }
    }

    public void NegLogLikelihood(DeviceMemory<float> logits, DeviceMemory<int> targets, DeviceMemory<double> nll, int rows, int vocabSize)
    {
        Need(logits, (long)rows * vocabSize, "nll: logits");
        Need(targets, rows, "nll: targets");
        Need(nll, rows, "nll: nll");
        for (long r = 0; r < rows; r++)
        {
            var row = new ReadOnlySpan<float>(F(logits) + r * vocabSize, vocabSize);
            double max = TensorPrimitives.Max(row), sum = 0;
            foreach (float v in row)
                sum += Math.Exp(v - max);
            int target = I(targets)[r];
            ((double*)nll.Address)[r] = (uint)target >= (uint)vocabSize ? double.NaN : max + Math.Log(sum) - row[target];
        }
    }

    public void ArgMax(DeviceMemory<float> logits, DeviceMemory<int> result, int rows, int vocabSize)
    {
        Need(logits, (long)rows * vocabSize, "argmax: logits");
        Need(result, rows, "argmax: result");
        for (long r = 0; r < rows; r++)
        {
            var row = new ReadOnlySpan<float>(F(logits) + r * vocabSize, vocabSize);
            int best = 0;
            for (int j = 1; j < row.Length; j++)
                if (row[j] > row[best] || float.IsNaN(row[best]))
                    best = j;
            I(result)[r] = best;
        }
    }

    public void Upload(ReadOnlySpan<int> source, DeviceMemory<int> destination)
    {
        Same(destination.Length, source.Length);
        Need(destination, source.Length, "upload");
        source.CopyTo(new Span<int>(I(destination), source.Length));
    }

    public void Copy(DeviceMemory<T> source, DeviceMemory<T> destination)
    {
        Same(source.Length, destination.Length);
        Need(source, source.Length, "copy: source");
        Need(destination, destination.Length, "copy: destination");
        Buffer.MemoryCopy(P(source), P(destination), destination.SizeInBytes, source.SizeInBytes);
    }

    public void Download(DeviceMemory<float> source, Span<float> destination)
    {
        Same(source.Length, destination.Length);
        Need(source, source.Length, "download");
        new ReadOnlySpan<float>(F(source), destination.Length).CopyTo(destination);
    }

    public void Download(DeviceMemory<double> source, Span<double> destination)
    {
        Same(source.Length, destination.Length);
        Need(source, source.Length, "download");
        new ReadOnlySpan<double>((double*)source.Address, destination.Length).CopyTo(destination);
    }

    public void Download(DeviceMemory<int> source, Span<int> destination)
    {
        Same(source.Length, destination.Length);
        Need(source, source.Length, "download");
        new ReadOnlySpan<int>(I(source), destination.Length).CopyTo(destination);
    }

    public void Synchronize() => ObjectDisposedException.ThrowIf(_disposed, this);

    // Host timestamps: the emulated operations run synchronously, so their wall time is their time.
    public SliceGpt.Runtime.Inference.Forward.IOpClock CreateClock() => new SliceGpt.Runtime.Inference.Forward.HostOpClock();

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        gpu.QueueDisposed();
    }

    private void Need<TE>(DeviceMemory<TE> memory, long count, string what) where TE : unmanaged
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        memory.EnsureLength(count, what);
        gpu.CheckInside(memory.Address, count * Unsafe.SizeOf<TE>(), what);
    }

    private static void Same(long device, long host)
    {
        if (device != host)
            throw new ArgumentException($"the device view holds {device} elements but the host span {host}");
    }

    private static T* P(DeviceMemory<T> m) => (T*)m.Address;

    private static float* F(DeviceMemory<float> m) => (float*)m.Address;

    private static int* I(DeviceMemory<int> m) => (int*)m.Address;

    private static float Ld(DeviceMemory<T> m, long i)
    {
        T v = P(m)[i];
        if (typeof(T) == typeof(float))
            return Unsafe.As<T, float>(ref v);
        if (typeof(T) == typeof(Half))
            return (float)Unsafe.As<T, Half>(ref v);
        return (float)Unsafe.As<T, BFloat16>(ref v);
    }

    private static void St(DeviceMemory<T> m, long i, float value)
    {
        if (typeof(T) == typeof(float))
            P(m)[i] = Unsafe.As<float, T>(ref value);
        else if (typeof(T) == typeof(Half))
        {
            var h = (Half)value;
            P(m)[i] = Unsafe.As<Half, T>(ref h);
        }
        else
        {
            var b = (BFloat16)value;
            P(m)[i] = Unsafe.As<BFloat16, T>(ref b);
        }
    }
}
