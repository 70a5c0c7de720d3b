using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference;

/// <summary>A place models run: the CPU reference or a CUDA device. Results always say which one.</summary>
public interface IComputeBackend : IDisposable
{
    /// <summary>Short name ("cpu", "cuda").</summary>
    string Name { get; }

    /// <summary>A description of the hardware and precision, for reports.</summary>
    string Description { get; }

    /// <summary>Makes <paramref name="model"/> ready to run here (e.g. uploads weights).</summary>
    IExecutableModel Prepare(TransformerModel<float> model);
}

/// <summary>A model made ready on a backend. Thread-safe and immutable: sessions may be created from any thread.</summary>
public interface IExecutableModel : IDisposable
{
    /// <summary>The model's dimensions.</summary>
    ModelConfig Config { get; }

    /// <summary>The backend's description.</summary>
    string Backend { get; }

    /// <summary>Creates a session with buffers for up to <paramref name="maxBatch"/> rows of <paramref name="maxSeqLen"/> tokens.</summary>
    IInferenceSession CreateSession(int maxBatch, int maxSeqLen);
}
