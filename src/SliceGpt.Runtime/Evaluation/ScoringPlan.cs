namespace SliceGpt.Runtime.Evaluation;

/// <summary>
/// The model-free half of scoring: contexts truncated to fit the model, the choices of a task grouped under their
/// shared context, groups ordered longest first (as lm-evaluation-harness orders its requests, so the first batch is
/// the biggest and a shortage of memory shows at once) and cut into batches of about the scorer's tokens per call.
/// </summary>
internal sealed class ScoringPlan
{
    private ScoringPlan(PlannedGroup[] groups, Range[] batches, int requests)
    {
        Groups = groups;
        Batches = batches;
        Requests = requests;
    }

    /// <summary>All groups, longest input first.</summary>
    public PlannedGroup[] Groups { get; }

    /// <summary>Consecutive ranges of <see cref="Groups"/>, one per scorer call.</summary>
    public Range[] Batches { get; }

    /// <summary>Continuations to score, over all groups.</summary>
    public int Requests { get; }

    /// <summary>The longest model input of the plan (0 when it is empty).</summary>
    public int LongestInput => Groups.Length == 0 ? 0 : Groups[0].LongestInput;

    /// <summary>
    /// Plans <paramref name="tasks"/> (each task's tokenized choices, in choice order) for a model that takes at most
    /// <paramref name="maxLength"/> input tokens.
    /// </summary>
    /// <remarks>
    /// A request whose context + continuation exceeds <c>maxLength + 1</c> tokens loses its oldest context tokens, as the
    /// harness's <c>(context + continuation)[-(max_length + 1):][:-1]</c> does; choices whose contexts end up equal
    /// stay in one group, so truncation splits a task's group only when its continuations differ in length.
    /// </remarks>
    /// <exception cref="ArgumentException">A continuation alone is longer than <paramref name="maxLength"/> (the harness refuses it too).</exception>
    public static ScoringPlan Create(IReadOnlyList<TokenRequest[]> tasks, int maxLength, int tokensPerCall)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerCall, 1);
        var groups = new List<PlannedGroup>();
        int requests = 0;
        for (int t = 0; t < tasks.Count; t++)
        {
            var pending = new List<(int[] Source, int Kept, List<int> Choices)>();
            for (int c = 0; c < tasks[t].Length; c++)
            {
                var (context, continuation) = tasks[t][c];
                if (continuation.Length > maxLength)
                    throw new ArgumentException($"choice {c} of task {t} has {continuation.Length} tokens, more than the model's {maxLength}");
                int kept = Math.Min(context.Length, maxLength + 1 - continuation.Length);
                int index = pending.FindIndex(p => ReferenceEquals(p.Source, context) && p.Kept == kept);
                if (index < 0)
                    pending.Add((context, kept, [c]));
                else
                    pending[index].Choices.Add(c);
            }
            foreach (var (source, kept, choices) in pending)
            {
                var continuations = choices.Select(c => (ReadOnlyMemory<int>)tasks[t][c].Continuation).ToArray();
                int longest = kept + continuations.Max(m => m.Length) - 1;
                groups.Add(new PlannedGroup(new ContextGroup(source.AsMemory(source.Length - kept), continuations), t, [.. choices], longest));
                requests += choices.Count;
            }
        }
        var ordered = groups.OrderByDescending(g => g.LongestInput).ToArray();
        return new ScoringPlan(ordered, CutBatches(ordered, tokensPerCall), requests);
    }

    // Each batch holds as many groups as fit tokensPerCall rows padded to its first (longest) input, at least one.
    private static Range[] CutBatches(PlannedGroup[] groups, int tokensPerCall)
    {
        var batches = new List<Range>();
        for (int start = 0; start < groups.Length;)
        {
            long budgetRows = Math.Max(1, tokensPerCall / Math.Max(1, groups[start].LongestInput));
            int end = start, rows = 0;
            while (end < groups.Length && (end == start || rows + groups[end].Group.Continuations.Length <= budgetRows))
                rows += groups[end++].Group.Continuations.Length;
            batches.Add(start..end);
            start = end;
        }
        return [.. batches];
    }
}

/// <summary>A context group and where its scores go.</summary>
/// <param name="Group">What the scorer sees.</param>
/// <param name="Task">Index of the task.</param>
/// <param name="Choices">The task's choice index of each continuation.</param>
/// <param name="LongestInput">Its longest model input: context + longest continuation − 1 tokens.</param>
internal sealed record PlannedGroup(ContextGroup Group, int Task, int[] Choices, int LongestInput);
