using SliceGpt.Kernels.Args;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels;

/// <summary>Launches loss.cu: per-row negative log-likelihood (perplexity) and argmax (greedy decoding).</summary>
public sealed class LossKernels
{
    private const string File = "loss.cu";
    private const int Threads = 256;
    private readonly KernelEntry _nll;
    private readonly KernelEntry _argmax;

    internal LossKernels(CudaKernels kernels)
    {
        _nll = new KernelEntry(kernels, File, "nll");
        _argmax = new KernelEntry(kernels, File, "argmax");
    }

    /// <summary>The source file and entry points.</summary>
    public static KernelFamily Family { get; } = KernelFamily.Of(File, "nll", "argmax");

    /// <summary>
    /// nll[r] = −log softmax(logits[r, :])[targets[r]] with the exponentials summed in double (as
    /// CpuOps.NegLogLikelihood). A target outside the vocabulary yields NaN.
    /// </summary>
    public void NegLogLikelihood<T>(CudaStream stream, DeviceMemory<T> logits, DeviceMemory<int> targets,
        DeviceMemory<double> nll, int rows, int vocabSize) where T : unmanaged
    {
        if (!Check(logits, rows, vocabSize, "nll"))
            return;
        targets.EnsureLength(rows, "nll: targets [rows]");
        nll.EnsureLength(rows, "nll: nll [rows]");
        var args = new NllArgs { Logits = logits.Address, Targets = targets.Address, Nll = nll.Address, Rows = rows, VocabSize = vocabSize };
        KernelLauncher.Launch(_nll.For<T>(), LaunchGeometry.Linear(rows, Threads), stream, args);
    }

    /// <summary>result[r] = the index of the largest logit of row r, the first one on ties (as Sampler.ArgMax).</summary>
    public void ArgMax<T>(CudaStream stream, DeviceMemory<T> logits, DeviceMemory<int> result, int rows, int vocabSize)
        where T : unmanaged
    {
        if (!Check(logits, rows, vocabSize, "argmax"))
            return;
        result.EnsureLength(rows, "argmax: result [rows]");
        var args = new ArgmaxArgs { Logits = logits.Address, Result = result.Address, Rows = rows, VocabSize = vocabSize };
        KernelLauncher.Launch(_argmax.For<T>(), LaunchGeometry.Linear(rows, Threads), stream, args);
    }

    private static bool Check<T>(DeviceMemory<T> logits, int rows, int vocabSize, string kernel) where T : unmanaged
    {
        KernelGeometry.NonNegative(rows, nameof(rows), kernel);
        KernelGeometry.Positive(vocabSize, nameof(vocabSize), kernel);
        if (rows == 0)
            return false;
        logits.EnsureLength((long)rows * vocabSize, $"{kernel}: logits [rows, vocabSize]");
        return true;
    }
}
