using SliceGpt.Runtime.Evaluation;
using SliceGpt.Runtime.Evaluation.Readers;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Inference.Cuda;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Tests.Cuda;
using SliceGpt.Runtime.Tokenization;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Runtime.Tests.Evaluation;

/// <summary>
/// The KV-sharing scorer (contexts once, copied slots, scores on the device) against the reference scorer (every
/// continuation its own padded row, full logits scored on the host) on 40 real HellaSwag tasks and stories260K: on the CPU
/// with a paged cache (shared blocks, copy on write), and on the emulated GPU with one block per slot (copied slots).
/// </summary>
[TestFixture(TestDevice.Emulated)]
public class SessionScorerTests(TestDevice device) : SessionTestBase(device)
{
    // Both compute the same float32 forward; the batch shapes differ (ragged chunks against padded rows), so OpenBLAS or the
    // emulated GEMM blocks the products differently: float32 rounding of the logits (~1e-6 relative), summed over a
    // continuation's ~30 tokens. The bound is ChoiceEvaluatorTests': 1e-4 plus 2e-6 of the score.
    private static double Tolerance(double expected) => 1e-4 + 2e-6 * Math.Abs(expected);

    [TestCase(false)]
    [TestCase(true)]
    public void KvSharingScores_EqualTheReferenceScorer(bool onTheGpu)
    {
        var model = ModelLoader.Load<float>(SharedPaths.Get("models", "stories260K", "stories260K.bin"));
        var tokenizer = TokenizerLoader.Load(SharedPaths.Get("models", "stories260K", "tok512.bin"));
        var tasks = HellaSwagReader.Read(SharedPaths.Get("data", "hellaswag-val", "hellaswag_val_full.txt"), limit: 40);
        using var cpu = new CpuBackend().Prepare(model);
        using IExecutableModel executable = onTheGpu ? Prepare<float>(model) : new CpuBackend().Prepare(model);
        Assert.That(executable.PagesKvCache, Is.EqualTo(!onTheGpu));
        int maxLength = model.Config.MaxSeqLen;
        // Small passes, so that the 40 tasks take several passes and reuse released slots.
        using var fast = new SessionScorer(executable, maxLength, tokensPerPass: 600);
        using var reference = LogProbScorers.CreateHostLogits(cpu, maxLength, 4096);
        var expected = ChoiceEvaluator.Evaluate(reference, tokenizer, tasks, ChoiceScoring.Continuation, addBos: true);
        var actual = ChoiceEvaluator.Evaluate(fast, tokenizer, tasks, ChoiceScoring.Continuation, addBos: true);
        for (int t = 0; t < tasks.Count; t++)
            for (int c = 0; c < tasks[t].Choices.Count; c++)
            {
                double e = expected.PerTask[t].LogProbs[c];
                Assert.That(actual.PerTask[t].LogProbs[c], Is.EqualTo(e).Within(Tolerance(e)), $"task {t} choice {c}");
            }
        Assert.That((actual.Acc, actual.AccNorm), Is.EqualTo((expected.Acc, expected.AccNorm)));
    }
}
