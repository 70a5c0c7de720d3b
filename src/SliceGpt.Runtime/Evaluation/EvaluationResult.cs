namespace SliceGpt.Runtime.Evaluation;

/// <summary>The outcome of a zero-shot multiple-choice evaluation, with lm-evaluation-harness's metrics.</summary>
/// <param name="Acc">Share of tasks whose highest-scoring choice is the gold one.</param>
/// <param name="AccNorm">The same with each score divided by its choice's length in characters.</param>
/// <param name="AccStderr">Standard error of <paramref name="Acc"/>: sample standard deviation (n − 1) / √n; null for fewer than two tasks.</param>
/// <param name="AccNormStderr">Standard error of <paramref name="AccNorm"/>, likewise.</param>
/// <param name="Tasks">Tasks evaluated.</param>
/// <param name="Backend">The backend that computed the scores.</param>
/// <param name="Seconds">Wall time, tokenization included.</param>
/// <param name="PerTask">Every task's scores and predictions, in task order.</param>
public sealed record EvaluationResult(double Acc, double AccNorm, double? AccStderr, double? AccNormStderr, int Tasks,
    string Backend, double Seconds, IReadOnlyList<TaskScores> PerTask);

/// <summary>One task's scores.</summary>
/// <param name="LogProbs">Per choice: the summed log-probability of its continuation.</param>
/// <param name="IsGreedy">Per choice: whether each of its continuation tokens was the model's argmax.</param>
/// <param name="Predicted">The first choice with the highest log-probability.</param>
/// <param name="PredictedNorm">The first choice with the highest log-probability per character.</param>
/// <param name="Gold">The correct choice.</param>
public sealed record TaskScores(IReadOnlyList<double> LogProbs, IReadOnlyList<bool> IsGreedy, int Predicted, int PredictedNorm, int Gold);
