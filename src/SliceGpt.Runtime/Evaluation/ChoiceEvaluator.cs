using System.Diagnostics;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Evaluation;

/// <summary>
/// Zero-shot multiple-choice evaluation scored as lm-evaluation-harness scores it: every choice's continuation is
/// tokenized after its context, its log-probabilities summed; <c>acc</c> compares the argmax with the gold index,
/// <c>acc_norm</c> the argmax of the scores per character.
/// </summary>
public static class ChoiceEvaluator
{
    /// <summary>Evaluates <paramref name="tasks"/> on <paramref name="model"/>.</summary>
    /// <param name="model">The model, on any backend.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="tasks">The tasks, at least one.</param>
    /// <param name="scoring">How choices become scored text.</param>
    /// <param name="options">Settings; null for the harness's defaults.</param>
    /// <param name="progress">Receives (tasks fully scored, all tasks) after each batch.</param>
    /// <exception cref="ArgumentException">No tasks, a task that cannot be scored (named by its index), or options out of range.</exception>
    public static EvaluationResult Evaluate(IExecutableModel model, ITokenizer tokenizer, IReadOnlyList<ChoiceTask> tasks,
        ChoiceScoring scoring, EvaluationOptions? options = null, IProgress<(int Done, int Total)>? progress = null)
    {
        options ??= new EvaluationOptions();
        options.Validate();
        int modelLength = LogProbScorers.ModelMaxLength(model.Config);
        if (options.MaxLength > modelLength)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxLength, $"MaxLength exceeds the model's {modelLength} positions");
        int tokensPerForward = options.TokensPerForward ?? LogProbScorers.DefaultTokensPerForward(model.Config);
        using var scorer = LogProbScorers.Create(model, options.MaxLength ?? modelLength, tokensPerForward);
        return Evaluate(scorer, tokenizer, tasks, scoring, options.AddBos ?? tokenizer.AddsBosByDefault, progress);
    }

    /// <summary>The same evaluation through a given scorer, whose limits size the plan (tests use it to inject scorers).</summary>
    internal static EvaluationResult Evaluate(ILogProbScorer scorer, ITokenizer tokenizer, IReadOnlyList<ChoiceTask> tasks,
        ChoiceScoring scoring, bool addBos, IProgress<(int Done, int Total)>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var prepared = Prepare(tokenizer, tasks, scoring, addBos);
        var plan = ScoringPlan.Create(prepared.Tokens, scorer.MaxLength, scorer.TokensPerCall);
        return Run(scorer, tasks, prepared, plan, clock, progress);
    }

    /// <summary>Every task's requests, tokenized (tasks in parallel: tokenizers are thread-safe).</summary>
    private static Prepared Prepare(ITokenizer tokenizer, IReadOnlyList<ChoiceTask> tasks, ChoiceScoring scoring, bool addBos)
    {
        if (tasks.Count == 0)
            throw new ArgumentException("there are no tasks to evaluate", nameof(tasks));
        var norms = new int[tasks.Count][];
        var tokens = new TokenRequest[tasks.Count][];
        var errors = new ArgumentException?[tasks.Count];
        Parallel.For(0, tasks.Count, t =>
        {
            try
            {
                var requests = TextRequest.For(tasks[t], scoring);
                norms[t] = [.. requests.Select(r => r.NormLength)];
                tokens[t] = TokenRequest.Encode(tokenizer, addBos, requests);
            }
            catch (ArgumentException e)
            {
                errors[t] = new ArgumentException($"task {t}: {e.Message}", e);
            }
        });
        // The first failing task is reported, whichever thread met it first.
        if (Array.Find(errors, e => e is not null) is { } error)
            throw error;
        return new Prepared(tokens, norms);
    }

    private static EvaluationResult Run(ILogProbScorer scorer, IReadOnlyList<ChoiceTask> tasks, Prepared prepared,
        ScoringPlan plan, Stopwatch clock, IProgress<(int Done, int Total)>? progress)
    {
        var logProbs = tasks.Select(t => new double[t.Choices.Count]).ToArray();
        var greedy = tasks.Select(t => new bool[t.Choices.Count]).ToArray();
        var pending = tasks.Select(t => t.Choices.Count).ToArray();
        int done = 0;
        foreach (var range in plan.Batches)
        {
            var batch = plan.Groups[range];
            var scores = new ContinuationScore[batch.Sum(g => g.Choices.Length)];
            scorer.Score(batch.Select(g => g.Group).ToArray(), scores);
            int next = 0;
            foreach (var group in batch)
            {
                foreach (int choice in group.Choices)
                    (logProbs[group.Task][choice], greedy[group.Task][choice]) = (scores[next].LogProb, scores[next++].IsGreedy);
                if ((pending[group.Task] -= group.Choices.Length) == 0)
                    done++;
            }
            progress?.Report((done, tasks.Count));
        }

        var perTask = new TaskScores[tasks.Count];
        for (int t = 0; t < tasks.Count; t++)
        {
            perTask[t] = new TaskScores(logProbs[t], greedy[t], ChoiceMetrics.Argmax(logProbs[t]),
                ChoiceMetrics.ArgmaxNormalized(logProbs[t], prepared.NormLengths[t]), tasks[t].Gold);
        }
        var acc = perTask.Select(s => s.Predicted == s.Gold ? 1.0 : 0.0).ToArray();
        var accNorm = perTask.Select(s => s.PredictedNorm == s.Gold ? 1.0 : 0.0).ToArray();
        return new EvaluationResult(acc.Average(), accNorm.Average(), ChoiceMetrics.MeanStandardError(acc),
            ChoiceMetrics.MeanStandardError(accNorm), tasks.Count, scorer.Backend, clock.Elapsed.TotalSeconds, perTask);
    }

    private sealed record Prepared(TokenRequest[][] Tokens, int[][] NormLengths);
}
