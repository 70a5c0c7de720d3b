using SliceGpt.Runtime.Evaluation;
using SliceGpt.Runtime.Evaluation.Readers;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Tokenization;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Runtime.Tests.Evaluation;

/// <summary>The evaluator on the real stories260K against <see cref="ReferenceScores"/>, computed request by request.</summary>
public class ChoiceEvaluatorTests
{
    // The evaluator packs many padded rows into one forward; the reference runs each row alone. Row for row the same
    // float32 work is done, but OpenBLAS blocks products of other shapes differently (more rows, more zero-weighted
    // padded keys), so logits of magnitude ~10 differ by float32 rounding (~1e-6 relative, ~1e-5 absolute); a
    // continuation's score sums one such error per token, and scores grow with the token count. Observed: ≤ 3.2e-5 on
    // scores down to −154; allowed: 1e-4 plus 2e-6 of the score.
    private static double Tolerance(double expected) => 1e-4 + 2e-6 * Math.Abs(expected);

    private static readonly string TinyFile = Path.Combine(TestContext.CurrentContext.TestDirectory, "Evaluation", "Data", "tiny-hellaswag.txt");
    private static TransformerModel<float> Model => ModelLoader.Load<float>(SharedPaths.Get("models", "stories260K", "stories260K.bin"));
    private static ITokenizer Tok512 => TokenizerLoader.Load(SharedPaths.Get("models", "stories260K", "tok512.bin"));

    [Test]
    public void HandCheckedFile_ScoresAndMetrics_EqualTheIndependentComputation()
    {
        var model = Model;
        var tokenizer = Tok512;
        var tasks = HellaSwagReader.Read(TinyFile);
        Assert.That(tasks, Has.Count.EqualTo(3));
        var result = Evaluate(model, tokenizer, tasks);

        int correct = 0, correctNorm = 0;
        for (int t = 0; t < tasks.Count; t++)
        {
            var expected = tasks[t].Choices.Select(c =>
            {
                var (context, continuation) = ReferenceScores.Split(tokenizer, tasks[t].Context, " " + c, addBos: true);
                return ReferenceScores.Score(model, context, continuation, model.Config.MaxSeqLen);
            }).ToArray();
            for (int c = 0; c < expected.Length; c++)
            {
                Assert.That(result.PerTask[t].LogProbs[c], Is.EqualTo(expected[c].LogProb).Within(Tolerance(expected[c].LogProb)), $"task {t} choice {c}");
                Assert.That(result.PerTask[t].IsGreedy[c], Is.EqualTo(expected[c].Greedy), $"task {t} choice {c}");
            }
            var scores = expected.Select(e => e.LogProb).ToArray();
            var perChar = scores.Select((s, c) => s / tasks[t].Choices[c].Length).ToArray();
            int predicted = Array.IndexOf(scores, scores.Max()), predictedNorm = Array.IndexOf(perChar, perChar.Max());
            Assert.That(result.PerTask[t].Predicted, Is.EqualTo(predicted), $"task {t}");
            Assert.That(result.PerTask[t].PredictedNorm, Is.EqualTo(predictedNorm), $"task {t}");
            correct += predicted == tasks[t].Gold ? 1 : 0;
            correctNorm += predictedNorm == tasks[t].Gold ? 1 : 0;
        }
        Assert.That(result.Acc, Is.EqualTo(correct / 3.0));
        Assert.That(result.AccNorm, Is.EqualTo(correctNorm / 3.0));
        // Hand-checked: each gold ending is the TinyStories-like one, the others are nonsense. Per character the trained
        // model prefers every gold ending; by total log-probability the four-character "ran." beats task 2's gold ending
        // of 38 characters: the length bias that acc_norm exists to correct.
        Assert.That(result.PerTask.Select(s => s.PredictedNorm), Is.EqualTo(new[] { 0, 2, 1 }));
        Assert.That(result.PerTask.Select(s => s.Predicted), Is.EqualTo(new[] { 0, 2, 3 }));
        Assert.That(tasks[2].Choices[3], Is.EqualTo("ran."));
        Assert.That((result.Tasks, result.Backend), Is.EqualTo((3, "cpu (OpenBLAS, float32)")));
    }

    [Test]
    public void ContinuationTokens_AreTheWholeTextsTail_NotTheEndingTokenizedAlone()
    {
        // SentencePiece adds a dummy-prefix space to every text it encodes, so tokens(" " + e) starts with an extra
        // token: the harness's split (tokens of context + " " + e after len(tokens(context))) must be what is scored.
        var model = Model;
        var tokenizer = Tok512;
        const string context = "Lily and Tim went to the park.", ending = "They played on the swings.";
        var (contextTokens, continuation) = ReferenceScores.Split(tokenizer, context, " " + ending, addBos: true);
        var alone = tokenizer.Encode(" " + ending, addBos: false);
        Assert.That(continuation, Is.Not.EqualTo(alone), "the test needs the two tokenizations to differ");

        var result = Evaluate(model, tokenizer, [new ChoiceTask(context, [ending], 0)]);
        var expected = ReferenceScores.Score(model, contextTokens, continuation, model.Config.MaxSeqLen);
        var naive = ReferenceScores.Score(model, contextTokens, alone, model.Config.MaxSeqLen);
        Assert.That(result.PerTask[0].LogProbs[0], Is.EqualTo(expected.LogProb).Within(Tolerance(expected.LogProb)));
        Assert.That(Math.Abs(naive.LogProb - expected.LogProb), Is.GreaterThan(100 * Tolerance(expected.LogProb)));
    }

    [Test]
    public void TokenMergedAcrossTheBoundary_IsScoredAsTheHarnessDoes()
    {
        // "a b" is one piece: tokens("… on a" + " bed.") end [..., "a b", "e", "d", "."] while tokens("… on a") ends
        // [..., "a"]. The harness feeds the context's own tokens and scores whole[len(context):] = "e", "d", ".".
        string[] pieces = [.. "abcdefghijklmnopqrstuvwxyz .".Select(c => c.ToString()), "a b", "the", "cat"];
        var tokenizer = new PieceTokenizer(pieces);
        const string context = "the cat sat on a";
        var contextTokens = tokenizer.Encode(context, addBos: true);
        var whole = tokenizer.Encode(context + " bed.", addBos: true);
        Assert.That(whole[..contextTokens.Length], Is.Not.EqualTo(contextTokens), "a token must merge across the boundary");
        Assert.That(tokenizer.Decode(whole[contextTokens.Length..]), Is.EqualTo("ed."));

        var model = Model;
        var result = Evaluate(model, tokenizer, [new ChoiceTask(context, ["bed.", "cat."], 0)]);
        var expected = ReferenceScores.Score(model, contextTokens, whole[contextTokens.Length..], model.Config.MaxSeqLen);
        Assert.That(result.PerTask[0].LogProbs[0], Is.EqualTo(expected.LogProb).Within(Tolerance(expected.LogProb)));
    }

    [Test]
    public void LongRequests_LoseTheirOldestContextTokens()
    {
        // MaxLength 12 with contexts of ~20 tokens: each choice keeps max_length + 1 − len(continuation) context tokens,
        // so the four endings (of different lengths) see different context windows.
        var model = Model;
        var tokenizer = Tok512;
        var task = new ChoiceTask("Once upon a time, there was a little girl named Lily. She loved to",
            ["play.", "play outside in the sun.", "run fast.", "go to the big park with mom."], 1);
        const int maxLength = 12;
        var result = ChoiceEvaluator.Evaluate(new CpuBackend().Prepare(model), tokenizer, [task], ChoiceScoring.Continuation,
            new EvaluationOptions { MaxLength = maxLength });
        for (int c = 0; c < task.Choices.Count; c++)
        {
            var (context, continuation) = ReferenceScores.Split(tokenizer, task.Context, " " + task.Choices[c], addBos: true);
            Assert.That(context.Length + continuation.Length, Is.GreaterThan(maxLength + 1), "the request must need truncation");
            var expected = ReferenceScores.Score(model, context, continuation, maxLength);
            Assert.That(result.PerTask[0].LogProbs[c], Is.EqualTo(expected.LogProb).Within(Tolerance(expected.LogProb)), $"choice {c}");
        }
    }

    [Test]
    public void PackedPaddedBatches_GiveTheScoresOfOneRequestAtATime()
    {
        // One row per forward (no padding) against the default packing (all 12 rows, padded, in one forward).
        // Padding is causally invisible, so only BLAS kernel choice can differ: see Tolerance.
        var model = Model;
        var tokenizer = Tok512;
        var tasks = HellaSwagReader.Read(TinyFile);
        var packed = Evaluate(model, tokenizer, tasks);
        var single = ChoiceEvaluator.Evaluate(new CpuBackend().Prepare(model), tokenizer, tasks, ChoiceScoring.Continuation,
            new EvaluationOptions { TokensPerForward = 1 });
        for (int t = 0; t < tasks.Count; t++)
        {
            for (int c = 0; c < tasks[t].Choices.Count; c++)
            {
                double expected = single.PerTask[t].LogProbs[c];
                Assert.That(packed.PerTask[t].LogProbs[c], Is.EqualTo(expected).Within(Tolerance(expected)), $"task {t} choice {c}");
            }
            Assert.That(packed.PerTask[t].IsGreedy, Is.EqualTo(single.PerTask[t].IsGreedy), $"task {t}");
        }
    }

    [Test]
    public void PartialScoring_ScoresTheTextAfterTheBlank_GivenEachFilledContext()
    {
        var model = Model;
        var tokenizer = Tok512;
        var task = new ChoiceTask("Lily gave the ball to Tim because _ was sad.", ["Tim", "the ball"], 0);
        var result = ChoiceEvaluator.Evaluate(new CpuBackend().Prepare(model), tokenizer, [task], ChoiceScoring.Partial);
        for (int c = 0; c < 2; c++)
        {
            var (context, continuation) = ReferenceScores.Split(tokenizer, "Lily gave the ball to Tim because " + task.Choices[c], " was sad.", addBos: true);
            var expected = ReferenceScores.Score(model, context, continuation, model.Config.MaxSeqLen);
            Assert.That(result.PerTask[0].LogProbs[c], Is.EqualTo(expected.LogProb).Within(Tolerance(expected.LogProb)), $"choice {c}");
        }
    }

    [Test]
    public void MaxLengthBeyondTheModel_IsRejected()
    {
        var model = Model;
        Assert.Throws<ArgumentOutOfRangeException>(() => ChoiceEvaluator.Evaluate(new CpuBackend().Prepare(model), Tok512,
            [new ChoiceTask("a", ["b"], 0)], ChoiceScoring.Continuation, new EvaluationOptions { MaxLength = model.Config.MaxSeqLen + 1 }));
    }

    private static EvaluationResult Evaluate(TransformerModel<float> model, ITokenizer tokenizer, IReadOnlyList<ChoiceTask> tasks)
    {
        using var executable = new CpuBackend().Prepare(model);
        return ChoiceEvaluator.Evaluate(executable, tokenizer, tasks, ChoiceScoring.Continuation);
    }
}
