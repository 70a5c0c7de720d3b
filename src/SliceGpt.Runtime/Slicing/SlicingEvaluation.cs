namespace SliceGpt.Runtime.Slicing;

/// <summary>
/// How the dense and the sliced model compare, for the report (the paper's Table 2 layout: perplexity and zero-shot
/// accuracy side by side). Either part may be absent.
/// </summary>
/// <param name="Perplexity">Dense and sliced perplexity, if an evaluation text was given.</param>
/// <param name="ZeroShot">Dense and sliced zero-shot accuracy, if a task was given.</param>
public sealed record SlicingEvaluation(PerplexityComparison? Perplexity, ZeroShotComparison? ZeroShot);

/// <summary>Perplexity of both models on the same rows.</summary>
/// <param name="Dense">The dense model's perplexity.</param>
/// <param name="Sliced">The sliced model's perplexity.</param>
/// <param name="Rows">Rows evaluated.</param>
/// <param name="SeqLen">Tokens per row.</param>
public sealed record PerplexityComparison(double Dense, double Sliced, int Rows, int SeqLen);

/// <summary>Zero-shot accuracy of both models on the same tasks.</summary>
/// <param name="Task">The task's name (e.g. "hellaswag").</param>
/// <param name="Tasks">Tasks evaluated.</param>
/// <param name="Dense">The dense model's scores.</param>
/// <param name="Sliced">The sliced model's scores.</param>
public sealed record ZeroShotComparison(string Task, int Tasks, ZeroShotScore Dense, ZeroShotScore Sliced);

/// <summary>lm-evaluation-harness's metrics of one model.</summary>
/// <param name="Acc">Accuracy.</param>
/// <param name="AccNorm">Accuracy with length-normalised scores.</param>
/// <param name="AccStderr">Standard error of <paramref name="Acc"/>; null for one task.</param>
/// <param name="AccNormStderr">Standard error of <paramref name="AccNorm"/>; null for one task.</param>
public sealed record ZeroShotScore(double Acc, double AccNorm, double? AccStderr, double? AccNormStderr);
