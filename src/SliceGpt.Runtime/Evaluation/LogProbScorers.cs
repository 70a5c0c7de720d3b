using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Inference.Cuda;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Evaluation;

/// <summary>Creates the <see cref="ILogProbScorer"/> of an executable model.</summary>
internal static class LogProbScorers
{
    // One forward's float32 logits stay below this many values (256 MiB).
    private const long LogitBudget = 1L << 26;

    // One forward's activations: about this many values divided by the residual width (a few hundred MiB for any width).
    private const long ActivationBudget = 1L << 21;

    private const int MaxTokensPerForward = 16384;

    /// <summary>The longest input <paramref name="config"/> runs: its positions, or its sliding window if smaller.</summary>
    public static int ModelMaxLength(ModelConfig config) => Math.Min(config.MaxSeqLen, config.SlidingWindow ?? int.MaxValue);

    /// <summary>Tokens per forward when the options do not say.</summary>
    public static int DefaultTokensPerForward(ModelConfig config) =>
        (int)Math.Min(MaxTokensPerForward, Math.Min(LogitBudget / config.VocabSize, ActivationBudget / config.Dim));

    /// <summary>
    /// The scorer of <paramref name="model"/>: contexts run once and shared by their continuations in a batched session,
    /// about <paramref name="tokensPerForward"/> tokens per pass, inputs of up to <paramref name="maxLength"/> tokens.
    /// </summary>
    public static ILogProbScorer Create(IExecutableModel model, int maxLength, int tokensPerForward) =>
        new SessionScorer(model, Math.Min(maxLength, ModelMaxLength(model.Config)), tokensPerForward);

    /// <summary>The reference scorer: every (context, continuation) as its own padded row, full logits scored on the host.</summary>
    /// <exception cref="NotSupportedException">The model's sessions offer no float32 logits.</exception>
    public static ILogProbScorer CreateHostLogits(IExecutableModel model, int maxLength, int tokensPerForward) =>
        new HostLogitsScorer((batch, seqLen) => Open(model, batch, seqLen), model.Backend, model.Config.VocabSize,
            Math.Min(maxLength, ModelMaxLength(model.Config)), tokensPerForward);

    private static LogitsSession Open(IExecutableModel model, int maxBatch, int maxSeqLen)
    {
        var session = model.CreateSession(maxBatch, maxSeqLen);
        return session switch
        {
            CpuSession<float> s => new LogitsSession(s, s.Logits),
            CudaSession<float> s => new LogitsSession(s, s.Logits),
            CudaSession<Half> s => new LogitsSession(s, s.Logits),
            CudaSession<BFloat16> s => new LogitsSession(s, s.Logits),
            _ => Unsupported(session),
        };
    }

    private static LogitsSession Unsupported(IInferenceSession session)
    {
        session.Dispose();
        throw new NotSupportedException($"{session.GetType().Name} offers no float32 logits to score continuations with");
    }
}
