using System.CommandLine;
using System.Diagnostics;
using SliceGpt.Runtime.Checkpoints;
using SliceGpt.Runtime.Diagnostics;
using SliceGpt.Runtime.IO;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Slicing;
using SliceGpt.Runtime.Tokenization;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Cli.Commands;

/// <summary>
/// <c>slicegpt slice</c>: calibrate, rotate and slice a checkpoint, write the sliced folder and its report, and
/// compare dense and sliced perplexity on an evaluation text.
/// </summary>
internal static class SliceCommand
{
    public sealed record SliceResult(double? DensePpl, double? SlicedPpl, long ParamsBefore, long ParamsAfter,
        IReadOnlyList<LayerWidths> Widths, double Seconds, string Output, string Backend, int CalibrationRows, int CalibrationSeqlen,
        int? EvalRows, int EvalSeqlen, ZeroShotComparison? ZeroShot);

    public static Command Create(CliContext context)
    {
        var model = CommonOptions.Model();
        var tokenizer = CommonOptions.Tokenizer();
        var calib = new Option<string>("--calib") { Description = "Calibration text (UTF-8)", Required = true };
        var sparsity = SliceOptions.Sparsity();
        var calibSeqLen = new Option<int>("--calib-seqlen") { Description = "Tokens per calibration row", DefaultValueFactory = _ => 2048 };
        var nsamples = new Option<int>("--nsamples") { Description = "Calibration rows", DefaultValueFactory = _ => 128 };
        var calibMode = new Option<CalibrationMode>("--calib-mode") { Description = "first: the first rows as perplexity cuts them; random: the reference's seeded sampling", DefaultValueFactory = _ => CalibrationMode.Random };
        var seed = new Option<ulong>("--seed") { Description = "Seed of calibration sampling and random orientation", DefaultValueFactory = _ => 42UL };
        var roundTo = SliceOptions.RoundTo();
        var sliceHead = SliceOptions.SliceHead();
        var varianceTarget = new Option<double?>("--variance-target") { Description = "Keep, per signal, the components explaining this share of variance (overrides --sparsity)" };
        var orientation = new Option<Orientation>("--orientation") { Description = "pca (deterministic) or random (seeded rotation of the kept subspace)", DefaultValueFactory = _ => Orientation.Pca };
        var dtype = new Option<string?>("--dtype") { Description = "Stored dtype: fp32, fp16 or bf16 (default: the checkpoint's)" };
        var eval = new Option<string?>("--eval") { Description = "Evaluation text for dense and sliced perplexity" };
        var evalSeqLen = new Option<int>("--eval-seqlen") { Description = "Tokens per evaluation row", DefaultValueFactory = _ => 2048 };
        var evalRows = new Option<int?>("--eval-rows") { Description = "Evaluate at most this many rows" };
        var holdout = new Option<double?>("--holdout-split") { Description = "Calibrate on this leading fraction of --calib (cut at a blank line) and evaluate on the rest" };
        var output = new Option<string>("--out", "-o") { Description = "Output folder", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace an existing output folder" };
        var json = CommonOptions.Json();
        var device = DeviceOptions.Device();
        var precision = DeviceOptions.Precision();
        var zeroShot = new SliceEvaluation();
        var command = new Command("slice", "Slice a checkpoint with SliceGPT and write the sliced model")
        {
            model, tokenizer, calib, sparsity, calibSeqLen, nsamples, calibMode, seed, roundTo, sliceHead, varianceTarget,
            orientation, dtype, eval, evalSeqLen, evalRows, holdout, output, force, device, precision, json,
        };
        foreach (var option in zeroShot.Options)
            command.Add(option);
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var modelPath = parse.GetValue(model)!;
            var outputPath = parse.GetValue(output)!;
            var options = SliceOptions.Validated(new SlicingOptions
            {
                Sparsity = parse.GetValue(sparsity),
                RoundTo = parse.GetValue(roundTo),
                SliceHead = parse.GetValue(sliceHead),
                VarianceTarget = parse.GetValue(varianceTarget),
                Orientation = parse.GetValue(orientation),
                Seed = parse.GetValue(seed),
            });
            int seqLen = parse.GetValue(calibSeqLen), samples = parse.GetValue(nsamples), evalLength = parse.GetValue(evalSeqLen);
            if (seqLen < 2)
                throw new CliUsageException($"--calib-seqlen must be at least 2, got {seqLen}");
            if (samples < 1)
                throw new CliUsageException($"--nsamples must be at least 1, got {samples}");
            if (evalLength < 2)
                throw new CliUsageException($"--eval-seqlen must be at least 2, got {evalLength}");
            if (parse.GetValue(evalRows) is int er && er < 1)
                throw new CliUsageException($"--eval-rows must be at least 1, got {er}");
            if (parse.GetValue(holdout) is double h && !(h > 0 && h < 1))
                throw new CliUsageException($"--holdout-split must be in (0, 1), got {h}");
            if (parse.GetValue(holdout) is not null && parse.GetValue(eval) is not null)
                throw new CliUsageException("--holdout-split evaluates on the rest of --calib; do not also pass --eval");
            var calibPath = parse.GetValue(calib)!;
            var evalPath = parse.GetValue(eval);

            // Every input is checked, and the output's folder tried, before the first forward pass.
            var tokenizerPath = ModelInputs.TokenizerPath(modelPath, parse.GetValue(tokenizer));
            var config = ModelLoader.ReadConfig(modelPath);
            if (config.Slicing is not null)
                throw new CliUsageException($"{modelPath} is already sliced; slice the original checkpoint");
            var storage = StorageDType(parse.GetValue(dtype), config.StorageDType);
            SlicedCheckpointWriter.CheckOutput(modelPath, outputPath, parse.GetValue(force), EstimateOutputBytes(config, options, storage, tokenizerPath));
            using (var checkpoint = ModelLoader.Open(modelPath))
                CheckpointVerifier.RequireFinite(checkpoint.Source);
            var tok = ModelInputs.LoadTokenizer(modelPath, tokenizerPath, config);
            if (seqLen > config.MaxSeqLen)
                throw new CliUsageException($"--calib-seqlen {seqLen} exceeds the model's {config.MaxSeqLen} positions");
            var calibText = ModelInputs.ReadText(calibPath);
            string? evalText = evalPath is not null ? ModelInputs.ReadText(evalPath) : null;
            if (parse.GetValue(holdout) is double fraction)
                (calibText, evalText) = HoldoutSplit.Split(calibText, fraction);
            if (evalText is not null && evalLength > config.MaxSeqLen)
                throw new CliUsageException($"--eval-seqlen {evalLength} exceeds the model's {config.MaxSeqLen} positions");
            var tasks = zeroShot.ReadTasks(parse);

            var mode = parse.GetValue(calibMode);
            var calibration = Calibrate(tok, calibText, calibPath, mode, seqLen, samples, options.Seed);
            var err = context.Err;
            err.WriteLine($"calibration: {calibration.Rows} rows × {calibration.SeqLen} tokens ({mode.ToString().ToLowerInvariant()}){(calibration.Rows < samples ? $", fewer than the {samples} asked: the text is short" : "")}");
            int[]? evalIds = evalText is null ? null : ModelInputs.Encode(tok, evalText, evalPath ?? calibPath);
            if (evalIds is not null)
                ModelInputs.RequireOneRow(evalIds, evalLength, evalPath ?? calibPath, "--eval-seqlen");

            using var backend = DeviceOptions.Resolve(parse.GetValue(device)!, parse.GetValue(precision), config.StorageDType);
            err.WriteLine($"backend: {backend.Description}");
            var densePpl = evalIds is null ? null : Evaluate(backend, ModelLoader.Load<float>(modelPath), evalIds, evalLength, parse.GetValue(evalRows));
            if (densePpl is not null)
                err.WriteLine($"dense perplexity {densePpl.Perplexity:F4} ({densePpl.Rows} rows of {evalLength})");
            var denseScore = tasks is null ? null : zeroShot.Score(parse, backend, ModelLoader.Load<float>(modelPath), tok, tasks);
            if (denseScore is not null)
                err.WriteLine($"dense {parse.GetValue(zeroShot.Task)} {SliceEvaluation.Describe(denseScore)} ({tasks!.Count} tasks)");

            var progress = new SynchronousProgress<SlicingProgress>(p =>
            {
                err.WriteLine(p.Layer < 0 ? $"  {p.Stage}" : $"  layer {p.Layer + 1}/{p.Layers} {p.Stage}");
                TestHold.At("calibrating", err);
            });
            var result = SliceGptPipeline.SliceCheckpoint(backend, modelPath, calibration, options, progress);
            var metadata = options.ToMetadata(new CalibrationInfo(mode.ToString().ToLowerInvariant(),
                Path.GetFileName(calibPath), calibration.Rows, calibration.SeqLen), result.Widths);
            var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath)));
            var report = new Dictionary<string, byte[]>
            {
                [SlicingReport.JsonFileName] = SlicingReport.Json(name, metadata, result.Spectra),
                [SlicingReport.HtmlFileName] = SlicingReport.Html(name, metadata, result.Spectra),
            };
            var written = new SynchronousProgress<string>(file =>
            {
                err.WriteLine($"  wrote {file}");
                TestHold.At("writing", err);
            });
            SlicedCheckpointWriter.Write(result.Model, metadata, modelPath, tokenizerPath, outputPath, storage, parse.GetValue(force), report, written);
            err.WriteLine($"wrote {outputPath}");

            // The sliced perplexity is measured on the checkpoint as written (its stored dtype included).
            var sliced = ModelLoader.Load<float>(outputPath);
            var slicedPpl = evalIds is null ? null : Evaluate(backend, sliced, evalIds, evalLength, parse.GetValue(evalRows));
            var comparison = denseScore is null ? null
                : new ZeroShotComparison(parse.GetValue(zeroShot.Task)!, tasks!.Count, denseScore, zeroShot.Score(parse, backend, sliced, tok, tasks));
            if (densePpl is not null || comparison is not null)
            {
                var perplexity = densePpl is null ? null : new PerplexityComparison(densePpl.Perplexity, slicedPpl!.Perplexity, slicedPpl.Rows, evalLength);
                SlicingReport.AddEvaluation(outputPath, name, metadata, result.Spectra, new SlicingEvaluation(perplexity, comparison));
            }
            var summary = new SliceResult(densePpl?.Perplexity, slicedPpl?.Perplexity, ParameterCounter.Dense(config), sliced.ParameterCount,
                result.Widths, clock.Elapsed.TotalSeconds, outputPath, backend.Description, calibration.Rows, calibration.SeqLen,
                slicedPpl?.Rows, evalLength, comparison);
            if (parse.GetValue(json))
                JsonOutput.Write(context.Out, summary);
            else
                WriteText(context.Out, summary);
            return CliApp.Success;
        });
        return command;
    }

    private static PerplexityResult Evaluate(IComputeBackend backend, TransformerModel<float> model, int[] ids, int seqLen, int? maxRows)
    {
        using var executable = NonFiniteGuard.Checked(backend.Prepare(model), model);
        return PerplexityEvaluator.Evaluate(executable, ids, seqLen, maxRows, batch: 8);
    }

    private static CalibrationSet Calibrate(ITokenizer tok, string text, string file, CalibrationMode mode, int seqLen, int samples, ulong seed)
    {
        try
        {
            return mode == CalibrationMode.First
                ? CalibrationSet.FirstRows(ModelInputs.Encode(tok, text, file), seqLen, samples)
                : CalibrationSet.RandomWindows(text, tok, seqLen, samples, seed);
        }
        catch (Exception e) when (e is SlicingException or UnencodableTextException)
        {
            throw new InputValidationException(file, null, e.Message, e);
        }
    }

    // An upper bound of the output's size, for the free-space check before calibrating: the planned parameter count (the
    // dense widths when a variance target chooses them) at the stored dtype, the tokenizer files and a margin.
    private static long EstimateOutputBytes(ModelConfig config, SlicingOptions options, TensorDType storage, string tokenizerPath)
    {
        var widths = SlicingPlanner.ConstantWidths(config, options.VarianceTarget is null ? options : options with { Sparsity = 0, VarianceTarget = null });
        long tokenizerBytes = File.Exists(tokenizerPath) ? new FileInfo(tokenizerPath).Length : 0;
        return SlicedCheckpointWriter.EstimateBytes(ParameterCounter.Sliced(config, widths), storage.Size(), tokenizerBytes);
    }

    private static void WriteText(TextWriter o, SliceResult r)
    {
        if (r.DensePpl is double d && r.SlicedPpl is double s)
            o.WriteLine($"perplexity  dense {d:F4} → sliced {s:F4} ({r.EvalRows} rows of {r.EvalSeqlen} tokens)");
        if (r.ZeroShot is { } z)
            o.WriteLine($"{z.Task,-11} dense {SliceEvaluation.Describe(z.Dense)} → sliced {SliceEvaluation.Describe(z.Sliced)} ({z.Tasks} tasks)");
        o.WriteLine($"parameters  {r.ParamsBefore:N0} → {r.ParamsAfter:N0} ({1 - (double)r.ParamsAfter / r.ParamsBefore:P1} fewer)");
        o.WriteLine($"widths      {string.Join(" ", r.Widths.Select(w => $"{w.In}/{w.Mid}/{w.Out}"))} (in/mid/out per layer)");
        o.WriteLine($"time        {r.Seconds:F1} s on {r.Backend}");
    }

    private static TensorDType StorageDType(string? option, TensorDType checkpoint) => option switch
    {
        null => checkpoint is TensorDType.F16 or TensorDType.BF16 ? checkpoint : TensorDType.F32,
        "fp32" => TensorDType.F32,
        "fp16" => TensorDType.F16,
        "bf16" => TensorDType.BF16,
        _ => throw new CliUsageException($"--dtype must be fp32, fp16 or bf16, got {option}"),
    };
}
