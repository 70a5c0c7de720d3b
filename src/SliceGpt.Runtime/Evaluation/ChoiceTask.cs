namespace SliceGpt.Runtime.Evaluation;

/// <summary>
/// One zero-shot multiple-choice task: a context, its choices and the index of the correct one. Which text is scored
/// for each choice is decided by the <see cref="ChoiceScoring"/> the task is evaluated with.
/// </summary>
public sealed class ChoiceTask
{
    /// <summary>Creates a task; the choices are copied.</summary>
    /// <exception cref="ArgumentException">There are no choices, or <paramref name="gold"/> is not one of their indices.</exception>
    public ChoiceTask(string context, IReadOnlyList<string> choices, int gold)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(choices);
        if (choices.Count == 0)
            throw new ArgumentException("a task needs at least one choice", nameof(choices));
        if ((uint)gold >= (uint)choices.Count)
            throw new ArgumentOutOfRangeException(nameof(gold), gold, $"the gold index must be in 0..{choices.Count - 1}");
        Context = context;
        Choices = [.. choices];
        Gold = gold;
    }

    /// <summary>The text the choices are conditioned on (for <see cref="ChoiceScoring.Partial"/>, a sentence with one <c>_</c>).</summary>
    public string Context { get; }

    /// <summary>The candidate answers.</summary>
    public IReadOnlyList<string> Choices { get; }

    /// <summary>Index of the correct choice.</summary>
    public int Gold { get; }
}
