using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Tests.Slicing;

namespace SliceGpt.Runtime.Tests.Inference;

/// <summary>
/// The batched session API (ragged <see cref="IInferenceSession.Forward"/>, <see cref="IInferenceSession.ScoreTargets"/>,
/// <see cref="IInferenceSession.CopySlot"/>) checked on any device against the float64 CPU reference of each sequence run
/// alone: a row's result must not depend on the batch it ran in, its slot, or the chunking of its sequence.
/// The fixtures (CPU, emulated GPU, real GPU) supply the sessions.
/// </summary>
internal static class BatchedSessionChecks
{
    // An fp32 session against the float64 reference of the same (float32-exact) weights through 2 layers: rounding of
    // ~1e-7 per operation accumulates to ~1e-5 relative to the largest logit; 1e-4 bounds it (FamilyForwardTests).
    public const double Fp32Tolerance = 1e-4;

    public delegate IInferenceSession SessionFactory(TransformerModel<float> model, int slots, int maxSeqLen);

    /// <summary>Four sequences of 10 tokens, fed as ragged chunks in shuffled slots over four passes.</summary>
    public static void RaggedPasses_GiveEachSequenceItsAloneLogits(string family, SessionFactory create, double tolerance)
    {
        var (model, reference, sequences) = Setup(family, 4, 10);
        using var session = create(model, 8, 10);
        // Sequences live in shuffled slots 4..7; the decode pass in slot order borrows slots 0..3 through CopySlot.
        int[] slotOf = [6, 4, 7, 5];
        var done = new int[4];
        // (sequence, tokens) per pass: prompts of unequal length, a mixed prefill/decode pass, a decode step of all four
        // in slot order with different lengths (the single-launch path on a GPU), and the rest.
        (int Seq, int Count)[][] passes =
        [
            [(0, 4), (1, 1), (2, 6)],
            [(1, 5), (3, 3), (0, 1)],
            [(0, 1), (1, 1), (2, 1), (3, 1)],
            [(3, 6), (2, 3), (0, 4), (1, 3)],
        ];
        foreach (var pass in passes)
        {
            // The fully uniform decode pass puts chunk i in slot i, as a server whose slots follow its rows would.
            bool slotOrder = pass.Length == 4 && pass.All(p => p.Count == 1);
            var chunks = pass.Select(p => new SequenceChunk(slotOrder ? p.Seq : slotOf[p.Seq], done[p.Seq], p.Count)).ToArray();
            var tokens = pass.SelectMany(p => sequences[p.Seq].Skip(done[p.Seq]).Take(p.Count)).ToArray();
            var logits = new float[pass.Length * model.Config.VocabSize];
            if (slotOrder)
                for (int s = 0; s < 4; s++)
                    session.CopySlot(slotOf[s], s, done[s]);
            session.Forward(chunks, tokens, logits);
            for (int i = 0; i < pass.Length; i++)
            {
                var (seq, count) = pass[i];
                done[seq] += count;
                AssertRow(logits, i, reference[seq][done[seq] - 1], tolerance, $"pass {Array.IndexOf(passes, pass)}, sequence {seq}");
            }
            if (slotOrder)
                for (int s = 0; s < 4; s++)
                    session.CopySlot(s, slotOf[s], done[s]);
        }
        Assert.That(done, Is.All.EqualTo(10));
    }

    /// <summary>A chunk that starts before a slot's end overwrites what followed: the sequence is rewound.</summary>
    public static void AChunkStartingEarlier_RewindsTheSlot(string family, SessionFactory create, double tolerance)
    {
        var (model, reference, sequences) = Setup(family, 1, 8);
        using var session = create(model, 2, 8);
        var logits = new float[model.Config.VocabSize];
        var wrong = sequences[0].Select(t => (t + 5) % model.Config.VocabSize).ToArray();
        session.Forward([new SequenceChunk(1, 0, 8)], wrong, logits);
        session.Forward([new SequenceChunk(1, 0, 3)], sequences[0][..3], logits);
        session.Forward([new SequenceChunk(1, 3, 5)], sequences[0][3..], logits);
        AssertRow(logits, 0, reference[0][7], tolerance, "rewound sequence");
    }

    /// <summary>log p(target) per row against the log-softmax of the reference logits; negative targets score 0.</summary>
    public static void ScoreTargets_MatchTheLogSoftmaxOfTheReference(string family, SessionFactory create, double tolerance)
    {
        var (model, reference, sequences) = Setup(family, 3, 7);
        using var session = create(model, 3, 7);
        // Chunks of 7, 4 and 6 tokens; each row's target is the sequence's next token, and the last row of each is unscored.
        int[] lengths = [7, 4, 6];
        var chunks = lengths.Select((n, i) => new SequenceChunk(2 - i, 0, n)).ToArray();
        var tokens = lengths.SelectMany((n, i) => sequences[i][..n]).ToArray();
        var targets = lengths.SelectMany((n, i) => sequences[i][1..n].Append(-1)).ToArray();
        var scores = new double[tokens.Length];
        var greedy = new int[tokens.Length];
        session.ScoreTargets(chunks, tokens, targets, scores, greedy);
        int row = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            for (int t = 0; t < lengths[i]; t++, row++)
            {
                if (targets[row] < 0)
                {
                    Assert.That(scores[row], Is.EqualTo(0), "an unscored row");
                    continue;
                }
                // The reference's argmax, unless its top two logits are closer than the tolerance (a legitimate tie-break).
                var sorted = reference[i][t].OrderDescending().ToArray();
                if (sorted[0] - sorted[1] > tolerance * MaxAbs(reference[i][t]) * 2)
                    Assert.That(greedy[row], Is.EqualTo(Array.IndexOf(reference[i][t], sorted[0])), $"sequence {i}, row {t}: greedy token");
                double expected = LogSoftmax(reference[i][t], targets[row]);
                // The log-probability is a difference of logits and a log-sum-exp: its error is that of the logits.
                Assert.That(scores[row], Is.EqualTo(expected).Within(tolerance * MaxAbs(reference[i][t]) * 2), $"sequence {i}, row {t}");
            }
        }
    }

    /// <summary>A context run once in slot 0 and copied to slots 1 and 2 continues in each as if run alone.</summary>
    public static void CopiedSlots_ContinueTheSharedPrefix(string family, SessionFactory create, double tolerance)
    {
        var (model, _, _) = Setup(family, 1, 9);
        var rng = new Random(5);
        var context = Enumerable.Range(0, 5).Select(_ => rng.Next(model.Config.VocabSize)).ToArray();
        var endings = Enumerable.Range(0, 3).Select(e => Enumerable.Range(0, 2 + e).Select(_ => rng.Next(model.Config.VocabSize)).ToArray()).ToArray();
        using var session = create(model, 3, 9);
        var logits = new float[3 * model.Config.VocabSize];
        session.Forward([new SequenceChunk(0, 0, context.Length)], context, logits);
        session.CopySlot(0, 1, context.Length);
        session.CopySlot(0, 2, context.Length);
        var chunks = endings.Select((e, i) => new SequenceChunk(i, context.Length, e.Length)).ToArray();
        session.Forward(chunks, endings.SelectMany(e => e).ToArray(), logits);
        for (int i = 0; i < 3; i++)
        {
            var alone = FamilyForwardTests.RunLogits(model.Convert<double>(), [.. context, .. endings[i]]);
            AssertRow(logits, i, alone[^1], tolerance, $"ending {i}");
        }
    }

    /// <summary>
    /// A scoring session (one KV layer reused by every block) gives a full session's row NLLs and scores, and refuses
    /// what needs a cache kept between passes.
    /// </summary>
    public static void ScoringSessions_ScoreAsFullSessions(string family, Func<TransformerModel<float>, IExecutableModel> prepare)
    {
        var model = InvarianceTests.Synthetic<float>(family);
        var rng = new Random(17);
        var rows = Enumerable.Range(0, 3 * 9).Select(_ => rng.Next(model.Config.VocabSize)).ToArray();
        var targets = rows.Skip(1).Append(-1).ToArray();
        using var executable = prepare(model);
        using var full = executable.CreateSession(3, 9);
        using var scoring = executable.CreateScoringSession(3, 9);
        double[] expectedNll = new double[3], actualNll = new double[3], expectedScores = new double[27], actualScores = new double[27];
        full.RowNegLogLikelihoods(rows, 3, 9, expectedNll);
        scoring.RowNegLogLikelihoods(rows, 3, 9, actualNll);
        SequenceChunk[] chunks = [new(0, 0, 9), new(1, 0, 9), new(2, 0, 9)];
        full.ScoreTargets(chunks, rows, targets, expectedScores);
        scoring.ScoreTargets(chunks, rows, targets, actualScores);
        // Same device, same products, same order: the only difference is which cache memory holds the keys.
        Assert.That(actualNll, Is.EqualTo(expectedNll));
        Assert.That(actualScores, Is.EqualTo(expectedScores));
        Assert.That(() => scoring.Forward([new(0, 9 - 1, 1)], [1], new float[model.Config.VocabSize]),
            Throws.InvalidOperationException.With.Message.Contains("position 0"));
        scoring.Prefill([1, 2, 3]);
        Assert.That(() => scoring.Step(4), Throws.InvalidOperationException);
        Assert.That(() => scoring.CopySlot(0, 1, 2), Throws.InvalidOperationException);
    }

    /// <summary>A profiled session counts every operation of every pass, and its operations fit in the calls' wall time.</summary>
    public static void AProfiledSession_AccountsForEveryOperation(Func<TransformerModel<float>, SessionOptions, IInferenceSession> create)
    {
        var model = InvarianceTests.Synthetic<float>("llama");
        int layers = model.Layers.Length;
        using (var plain = create(model, new SessionOptions(1, 8)))
            Assert.That(plain.TakeProfile(), Is.Null, "profiling is off by default");
        using var session = create(model, new SessionOptions(1, 8) { Profile = true });
        session.Prefill([1, 2, 3]);
        session.Step(4);
        session.Step(5);
        var profile = session.TakeProfile()!;
        var calls = profile.Ops.ToDictionary(o => o.Op, o => o.Calls);
        Assert.Multiple(() =>
        {
            Assert.That(profile.Passes, Is.EqualTo(3));
            foreach (var op in new[] { ForwardOp.AttentionNorm, ForwardOp.QkvProjection, ForwardOp.Attention, ForwardOp.AttentionOutput,
                         ForwardOp.MlpNorm, ForwardOp.UpProjection, ForwardOp.Activation, ForwardOp.DownProjection })
                Assert.That(calls[op], Is.EqualTo(3 * layers), op.ToString());
            foreach (var op in new[] { ForwardOp.Stage, ForwardOp.Embed, ForwardOp.FinalNorm, ForwardOp.HeadAndReadback })
                Assert.That(calls[op], Is.EqualTo(3), op.ToString());
            Assert.That(calls.ContainsKey(ForwardOp.Shortcut), Is.False, "a dense model has no shortcut products");
            Assert.That(profile.Ops.All(o => o.Milliseconds >= 0));
            Assert.That(profile.WallMilliseconds, Is.GreaterThan(0));
            Assert.That(profile.ToTable(), Does.Contain("Attention").And.Contain("wall"));
        });
        var empty = session.TakeProfile()!;
        Assert.That((empty.Passes, empty.Ops.Count), Is.EqualTo((0L, 0)), "a take starts afresh");
    }

    /// <summary>Malformed batches are refused before any work, naming what is wrong.</summary>
    public static void MalformedBatches_AreRefused(SessionFactory create)
    {
        var model = InvarianceTests.Synthetic<float>("llama");
        using var session = create(model, 2, 6);
        var logits = new float[2 * model.Config.VocabSize];
        Assert.Multiple(() =>
        {
            Assert.That(() => session.Forward([], [], logits), Throws.ArgumentException.With.Message.Contains("at least one chunk"));
            Assert.That(() => session.Forward([new(0, 0, 1), new(0, 1, 1)], [1, 2], logits), Throws.ArgumentException.With.Message.Contains("twice"));
            Assert.That(() => session.Forward([new(2, 0, 1)], [1], logits), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("slot 2"));
            Assert.That(() => session.Forward([new(0, 0, 0)], [], logits), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => session.Forward([new(0, 4, 3)], [1, 2, 3], logits), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("6 positions"));
            Assert.That(() => session.Forward([new(0, 0, 2)], [1], logits), Throws.ArgumentException.With.Message.Contains("hold 2 tokens"));
            Assert.That(() => session.Forward([new(0, 0, 2), new(1, 0, 1)], [1, 2, 3], new float[1]), Throws.ArgumentException.With.Message.Contains("logits"));
            Assert.That(() => session.Forward([new(0, 0, 1)], [model.Config.VocabSize], logits), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("vocabulary"));
            Assert.That(() => session.ScoreTargets([new(0, 0, 2)], [1, 2], [2, model.Config.VocabSize], new double[2]), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("targets"));
            Assert.That(() => session.CopySlot(0, 2, 1), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => session.CopySlot(0, 1, 7), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    /// <summary>A disposed session refuses work instead of computing on freed buffers.</summary>
    public static void DisposedSessions_Throw(SessionFactory create)
    {
        var model = InvarianceTests.Synthetic<float>("llama");
        var session = create(model, 1, 4);
        session.Dispose();
        session.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(() => session.Prefill([1, 2]), Throws.InstanceOf<ObjectDisposedException>());
            Assert.That(() => session.Step(1), Throws.InstanceOf<ObjectDisposedException>());
            Assert.That(() => session.Forward([new(0, 0, 1)], [1], new float[model.Config.VocabSize]), Throws.InstanceOf<ObjectDisposedException>());
            Assert.That(() => session.RowNegLogLikelihoods([1, 2], 1, 2, new double[1]), Throws.InstanceOf<ObjectDisposedException>());
        });
    }

    private static (TransformerModel<float> Model, double[][][] Reference, int[][] Sequences) Setup(string family, int count, int length)
    {
        var model = InvarianceTests.Synthetic<float>(family);
        var rng = new Random(11);
        var sequences = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, length).Select(_ => rng.Next(model.Config.VocabSize)).ToArray()).ToArray();
        var exact = model.Convert<double>();
        var reference = sequences.Select(s => FamilyForwardTests.RunLogits(exact, s)).ToArray();
        return (model, reference, sequences);
    }

    private static void AssertRow(float[] logits, int row, double[] expected, double tolerance, string what)
    {
        double scale = MaxAbs(expected), worst = 0;
        for (int v = 0; v < expected.Length; v++)
            worst = Math.Max(worst, Math.Abs(logits[row * expected.Length + v] - expected[v]) / scale);
        Assert.That(worst, Is.LessThanOrEqualTo(tolerance), $"{what}: max |Δ| relative to max |logit| {scale:G4}");
    }

    private static double MaxAbs(double[] values) => values.Max(Math.Abs);

    private static double LogSoftmax(double[] logits, int target)
    {
        double max = logits.Max();
        return logits[target] - max - Math.Log(logits.Sum(v => Math.Exp(v - max)));
    }
}
