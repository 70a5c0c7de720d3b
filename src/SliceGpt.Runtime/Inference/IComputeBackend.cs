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

    /// <summary>Whether sessions can page their KV cache (<see cref="SessionOptions.KvBlockSize"/> below the slot length).</summary>
    bool PagesKvCache { get; }

    /// <summary>Creates a session with buffers for up to <paramref name="maxBatch"/> rows of <paramref name="maxSeqLen"/> tokens.</summary>
    IInferenceSession CreateSession(int maxBatch, int maxSeqLen);

    /// <summary>Creates a session of the given shape: slots, their length, tokens per pass, and the paging of the KV cache.</summary>
    /// <exception cref="NotSupportedException">A shape this backend cannot hold (the GPU does not page its KV cache yet).</exception>
    IInferenceSession CreateSession(SessionOptions options);

    /// <summary>
    /// A session for passes that start at position 0 and need no KV cache afterwards (perplexity, scoring whole
    /// sequences): its cache holds one layer, which every layer reuses in turn, so it takes nLayers times less memory
    /// and allows larger batches. A pass with a chunk that starts later, and <see cref="IInferenceSession.CopySlot"/>, are refused.
    /// </summary>
    IInferenceSession CreateScoringSession(int maxBatch, int maxSeqLen);
}
