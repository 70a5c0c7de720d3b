using SliceGpt.Runtime.Evaluation;

namespace SliceGpt.Runtime.Tests.Evaluation;

/// <summary>The model-free parts: requests from tasks, tokenization split, planning, ties and the metrics.</summary>
public class ScoringTests
{
    [Test]
    public void Continuation_PrefixesTheDelimiter_AndNormalisesByTheChoicesCodePoints()
    {
        var requests = TextRequest.For(new ChoiceTask("A man is sitting on a roof. he", ["is using wrap.", "rips 😀 tiles."], 1), ChoiceScoring.Continuation);
        Assert.That(requests.Select(r => (r.Context, r.Continuation, r.NormLength)), Is.EqualTo(new[]
        {
            ("A man is sitting on a roof. he", " is using wrap.", 14),
            ("A man is sitting on a roof. he", " rips 😀 tiles.", 13), // the emoji is one code point (two UTF-16 units)
        }));
    }

    [Test]
    public void Partial_FillsTheBlank_AndSharesTheTrimmedRest()
    {
        var task = new ChoiceTask("The trophy doesn't fit into the suitcase because _ is too large. ", ["the trophy", "the suitcase"], 0);
        var requests = TextRequest.For(task, ChoiceScoring.Partial);
        Assert.That(requests.Select(r => (r.Context, r.Continuation)), Is.EqualTo(new[]
        {
            ("The trophy doesn't fit into the suitcase because the trophy", " is too large."),
            ("The trophy doesn't fit into the suitcase because the suitcase", " is too large."),
        }));
        Assert.That(requests[0].NormLength, Is.EqualTo(requests[0].Context.Length));
        Assert.Throws<ArgumentException>(() => TextRequest.For(new ChoiceTask("no blank", ["x"], 0), ChoiceScoring.Partial));
    }

    [Test]
    public void Encode_MovesTrailingWhitespaceToTheContinuation_AndSharesEqualContexts()
    {
        var tokenizer = new PieceTokenizer("a", "b", " ", " b", "c");
        var requests = TokenRequest.Encode(tokenizer, addBos: true, [new TextRequest("a ", "b", 1), new TextRequest("a ", "c", 1)]);
        // Context "a" (the space moved): tokens [BOS, a]; whole "a b" = [BOS, a, " b"].
        Assert.That(requests[0].Context, Is.EqualTo(new[] { 1, 3 }));
        Assert.That(requests[0].Continuation, Is.EqualTo(new[] { 6 }));
        Assert.That(requests[1].Continuation, Is.EqualTo(new[] { 5, 7 }));
        Assert.That(requests[1].Context, Is.SameAs(requests[0].Context));
    }

    [Test]
    public void Encode_EmptyContext_IsThePrefixToken()
    {
        var tokenizer = new PieceTokenizer("a", " ");
        var request = TokenRequest.Encode(tokenizer, addBos: true, [new TextRequest("", " a", 1)])[0];
        Assert.That((request.Context, request.Continuation), Is.EqualTo((new[] { 1 }, new[] { 4, 3 })));
    }

    [Test]
    public void Encode_ContinuationWithoutTokensOfItsOwn_IsAnError()
    {
        var tokenizer = new PieceTokenizer("a", "ab", "b");
        // Greedy longest match: "a" + "b" → "ab", one token, as long as "a" alone.
        Assert.Throws<ArgumentException>(() => TokenRequest.Encode(tokenizer, addBos: false, [new TextRequest("a", "b", 1)]));
    }

    [Test]
    public void Plan_TruncatesFromTheLeft_GroupsEqualContexts_AndOrdersLongestFirst()
    {
        int[] contextA = [1, 2, 3, 4, 5, 6];
        int[] contextB = [1, 2];
        var tasks = new[]
        {
            new TokenRequest[] { new(contextB, [7]), new(contextB, [8, 9]) },
            new TokenRequest[] { new(contextA, [7, 7]), new(contextA, [8, 8]), new(contextA, [9, 9, 9, 9]) },
        };
        var plan = ScoringPlan.Create(tasks, maxLength: 6, tokensPerCall: 1000);
        // Task 1: continuations of 2 keep 6 + 1 − 2 = 5 context tokens, the one of 4 keeps 3; task 0 fits whole.
        Assert.That(plan.Groups.Select(g => (g.Task, g.Group.Context.ToArray(), g.Choices, g.LongestInput)), Is.EqualTo(new (int, int[], int[], int)[]
        {
            (1, [2, 3, 4, 5, 6], [0, 1], 6),
            (1, [4, 5, 6], [2], 6),
            (0, [1, 2], [0, 1], 3),
        }));
        Assert.That(plan.Requests, Is.EqualTo(5));
        Assert.That(plan.Batches, Is.EqualTo(new[] { 0..3 }));
    }

    [Test]
    public void Plan_CutsBatchesByPaddedTokens()
    {
        int[] context = [1, 2, 3];
        var tasks = Enumerable.Range(0, 5).Select(i => new TokenRequest[] { new(context, [4]), new(context, [5]) }).ToArray();
        // Inputs of 3 tokens, 2 rows per group: 12 tokens hold two groups.
        var plan = ScoringPlan.Create(tasks, maxLength: 10, tokensPerCall: 12);
        Assert.That(plan.Batches, Is.EqualTo(new[] { 0..2, 2..4, 4..5 }));
        Assert.That(ScoringPlan.Create(tasks, maxLength: 10, tokensPerCall: 1).Batches, Has.Length.EqualTo(5), "a batch holds at least one group");
    }

    [Test]
    public void Plan_ContinuationLongerThanTheModel_IsAnError()
    {
        var error = Assert.Throws<ArgumentException>(() => ScoringPlan.Create([[new TokenRequest([1], [2, 3, 4])]], maxLength: 2, tokensPerCall: 10));
        Assert.That(error!.Message, Does.Contain("task 0"));
    }

    [Test]
    public void Ties_GoToTheFirstChoice_ForAccAndAccNorm()
    {
        // Every choice scores −1: acc picks choice 0; per character −1/2, −1/2, −1/1: acc_norm picks choice 0 of the two
        // longest.
        var tasks = new[] { new ChoiceTask("x", ["aa", "bb", "c"], 0), new ChoiceTask("x", ["aa", "bb", "c"], 1) };
        var result = ChoiceEvaluator.Evaluate(new ConstantScorer(-1), new PieceTokenizer("x", "a", "b", "c", " "), tasks, ChoiceScoring.Continuation, addBos: true);
        Assert.That(result.PerTask.Select(s => (s.Predicted, s.PredictedNorm)), Is.EqualTo(new[] { (0, 0), (0, 0) }));
        Assert.That((result.Acc, result.AccNorm), Is.EqualTo((0.5, 0.5)));
        Assert.That(result.Backend, Is.EqualTo("constant"));
    }

    [Test]
    public void LogProbability_IsTheFloat64LogSoftmax_AndOnlyTheFirstArgmaxIsGreedy()
    {
        // 13 logits: one vector of 8 and a scalar tail of 5; 10 at positions 3 and 7, a tie that argmax breaks to 3.
        float[] logits = [.. Enumerable.Range(0, 13).Select(i => 5 * MathF.Sin(i))];
        logits[3] = logits[7] = 10;
        double z = logits.Sum(l => Math.Exp(l - 10.0));
        for (int token = 0; token < logits.Length; token++)
        {
            double actual = HostLogitsScorer.LogProbability(logits, token, out bool greedy);
            // Both sides sum 13 float64 exponentials, in different orders: a few ulps of the result.
            Assert.That(actual, Is.EqualTo(logits[token] - 10.0 - Math.Log(z)).Within(1e-13), $"token {token}");
            Assert.That(greedy, Is.EqualTo(token == 3), $"token {token}");
        }
    }

    [Test]
    public void Metrics_AreTheHarnessFormulas()
    {
        Assert.That(ChoiceMetrics.Argmax([1, 3, 3, 2]), Is.EqualTo(1));
        Assert.That(ChoiceMetrics.Argmax([1, double.NaN, 3]), Is.EqualTo(1), "numpy's argmax returns the first NaN");
        Assert.That(ChoiceMetrics.ArgmaxNormalized([-4, -3], [4, 1]), Is.EqualTo(0));
        // [1, 0, 0, 1]: mean 0.5, sample standard deviation √(1/3), over √4.
        Assert.That(ChoiceMetrics.MeanStandardError([1, 0, 0, 1]), Is.EqualTo(Math.Sqrt(1.0 / 3) / 2).Within(1e-15));
        Assert.That(ChoiceMetrics.MeanStandardError([1]), Is.Null);
    }

    /// <summary>A scorer that gives every continuation the same log-probability.</summary>
    private sealed class ConstantScorer(double logProb) : ILogProbScorer
    {
        public string Backend => "constant";

        public int MaxLength => 100;

        public int TokensPerCall => 100;

        public void Score(ReadOnlySpan<ContextGroup> groups, Span<ContinuationScore> scores) => scores.Fill(new ContinuationScore(logProb, false));

        public void Dispose()
        {
        }
    }
}
