namespace SliceGpt.Runtime.Evaluation;

/// <summary>How the choices of a <see cref="ChoiceTask"/> become the (context, continuation) pairs whose log-likelihoods are compared.</summary>
public enum ChoiceScoring
{
    /// <summary>
    /// lm-evaluation-harness's <c>multiple_choice</c> output type: the continuation of choice <c>c</c> is <c>" " + c</c>
    /// after the shared context; <c>acc_norm</c> divides each score by the choice's length in characters.
    /// </summary>
    Continuation,

    /// <summary>
    /// WinoGrande's partial scoring: the context has one <c>_</c>; choice <c>c</c> fills it, so the contexts differ
    /// (<c>text before the blank + c</c>) and the scored continuation, the same for every choice, is
    /// <c>" " + the text after the blank</c> (trimmed). <c>acc_norm</c> divides by the length of each choice's context,
    /// which is what lm-evaluation-harness computes for this task (it reports only <c>acc</c>).
    /// </summary>
    Partial,
}
