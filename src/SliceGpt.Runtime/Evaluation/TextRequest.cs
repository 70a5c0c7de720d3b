namespace SliceGpt.Runtime.Evaluation;

/// <summary>One choice of a task as text: the continuation whose log-likelihood after the context is its score.</summary>
/// <param name="Context">The conditioning text.</param>
/// <param name="Continuation">The scored text (it starts with the target delimiter, a space).</param>
/// <param name="NormLength">The divisor of <c>acc_norm</c>: lm-evaluation-harness's <c>len(choice)</c>, in code points as Python counts.</param>
public readonly record struct TextRequest(string Context, string Continuation, int NormLength)
{
    /// <summary>lm-evaluation-harness's default <c>target_delimiter</c>, put between the context and every continuation.</summary>
    public const string TargetDelimiter = " ";

    /// <summary>The requests of every choice of <paramref name="task"/>, in choice order.</summary>
    /// <exception cref="ArgumentException">Partial scoring of a context without a <c>_</c>.</exception>
    public static TextRequest[] For(ChoiceTask task, ChoiceScoring scoring)
    {
        var requests = new TextRequest[task.Choices.Count];
        switch (scoring)
        {
            case ChoiceScoring.Continuation:
                for (int i = 0; i < requests.Length; i++)
                    requests[i] = new TextRequest(task.Context, TargetDelimiter + task.Choices[i], CodePoints(task.Choices[i]));
                break;
            case ChoiceScoring.Partial:
                int blank = task.Context.IndexOf('_');
                if (blank < 0)
                    throw new ArgumentException($"partial scoring needs a '_' in the context: \"{task.Context}\"", nameof(task));
                var after = TargetDelimiter + task.Context[(blank + 1)..].Trim();
                for (int i = 0; i < requests.Length; i++)
                {
                    var context = task.Context[..blank] + task.Choices[i];
                    requests[i] = new TextRequest(context, after, CodePoints(context));
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scoring), scoring, "unknown scoring");
        }
        return requests;
    }

    private static int CodePoints(string text)
    {
        int count = 0;
        foreach (var _ in text.EnumerateRunes())
            count++;
        return count;
    }
}
