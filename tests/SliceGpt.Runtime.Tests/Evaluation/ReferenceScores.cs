using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Tests.Evaluation;

/// <summary>
/// lm-evaluation-harness's loglikelihood of one request, computed the slow and obvious way, independently of the
/// evaluator: one row per request through <see cref="CpuSession{T}.Logits"/>, the harness's own slicing
/// (<c>(context + continuation)[-(max_length + 1):][:-1]</c>, then the last <c>len(continuation)</c> positions), and a
/// scalar float64 log-softmax.
/// </summary>
internal static class ReferenceScores
{
    /// <summary>The harness's causal <c>_encode_pair</c> for a context without trailing whitespace.</summary>
    public static (int[] Context, int[] Continuation) Split(ITokenizer tokenizer, string context, string continuation, bool addBos)
    {
        var contextTokens = tokenizer.Encode(context, addBos);
        var whole = tokenizer.Encode(context + continuation, addBos);
        return (contextTokens, whole[contextTokens.Length..]);
    }

    /// <summary>The summed log-probability of <paramref name="continuation"/> and whether each of its tokens is the argmax.</summary>
    public static (double LogProb, bool Greedy) Score(TransformerModel<float> model, int[] context, int[] continuation, int maxLength)
    {
        var all = context.Concat(continuation).ToArray();
        var input = all[Math.Max(0, all.Length - (maxLength + 1))..][..^1];
        Assert.That(input, Has.Length.GreaterThanOrEqualTo(2), "the reference runs rows of at least two tokens");
        int vocab = model.Config.VocabSize;
        var logits = new float[input.Length * vocab];
        using (var session = new CpuSession<float>(model, 1, input.Length))
            session.Logits(input, 1, input.Length, logits);
        double sum = 0;
        bool greedy = true;
        for (int j = 0; j < continuation.Length; j++)
        {
            var row = logits.AsSpan((input.Length - continuation.Length + j) * vocab, vocab);
            double max = double.NegativeInfinity;
            int argmax = 0;
            for (int v = 0; v < vocab; v++)
            {
                if (row[v] > max)
                    (max, argmax) = (row[v], v);
            }
            double z = 0;
            for (int v = 0; v < vocab; v++)
                z += Math.Exp(row[v] - max);
            sum += row[continuation[j]] - max - Math.Log(z);
            greedy &= argmax == continuation[j];
        }
        return (sum, greedy);
    }
}
