using System.Globalization;
using System.Text;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using SliceGpt.Bench.Gpu.Comparison;
using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu.EndToEnd;

/// <summary>What an end-to-end exporter writes.</summary>
internal enum EndToEndFormat
{
    /// <summary>The paper's tables as markdown (also echoed to the console).</summary>
    Markdown,
    /// <summary>One CSV row per case.</summary>
    Csv,
}

/// <summary>
/// Writes an end-to-end suite's results into BenchmarkDotNet's results folder, named after the suite class (no
/// timestamp, so a later run replaces them and docs/benchmarks.md can include a fixed name): <c>*-end-to-end.md</c>
/// (models and upload times, Table 11's prefill throughput, Table 2's decode latency with the roofline share) and
/// <c>*-end-to-end.csv</c>.
/// </summary>
internal sealed class EndToEndExporter(EndToEndFormat format) : TextExporter($"SliceGpt.EndToEnd.{format}",
    format == EndToEndFormat.Markdown ? "end-to-end.md" : "end-to-end.csv", echo: format == EndToEndFormat.Markdown)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    protected override IEnumerable<string> Render(Summary summary)
    {
        var rows = EndToEndColumns.Rows(summary);
        var pytorch = PyTorchResults.EndToEnd;
        return format == EndToEndFormat.Markdown
            ? Markdown(rows, EndToEndResults.ModelLoads(), pytorch, PyTorchResults.Describe())
            : Csv(rows, pytorch);
    }

    /// <summary>PyTorch's fastest completed run of <paramref name="r"/>'s measure, if given.</summary>
    internal static PyTorchEndToEndRow? PyTorchOf(EndToEndRow r, EndToEndComparison? pytorch) =>
        pytorch?.Best(r.Case.Kind == EndToEndKind.Prefill ? "prefill" : "decode", r.Case.Batch, r.Case.SeqLen);

    /// <summary>This engine's tokens/s over PyTorch's fastest for the same measure (above 1: faster here); NaN when either is missing.</summary>
    internal static double VersusPyTorch(EndToEndRow r, EndToEndComparison? pytorch) =>
        r.Status is null && PyTorchOf(r, pytorch) is { } theirs ? r.TokensPerSecond / theirs.TokensPerSecond : double.NaN;

    /// <summary>The markdown report of <paramref name="rows"/> and <paramref name="loads"/>, with PyTorch's runs when given.</summary>
    internal static IEnumerable<string> Markdown(IReadOnlyList<EndToEndRow> rows, IReadOnlyList<ModelLoad> loads,
        EndToEndComparison? pytorch = null, string? pytorchLine = null)
    {
        yield return "## End-to-end throughput and decode latency (paper appendix A.6 Table 11, Table 2)";
        yield return "";
        yield return $"{ExportFiles.DeviceLine()} Models: LLAMA-2 7B's shapes ({EndToEndModels.ModelName} config.json through the engine's " +
                     "adapter) with random weights; sliced widths from SlicingPlanner's constant schedule, shortcut matrices " +
                     "included; fp16 weights, activations and KV cache, fp32 accumulation, this engine's CUDA backend.";
        yield return "";
        yield return "### Models";
        yield return "";
        yield return "| Model | d | Parameters | fp16 weights (GiB) | Host build (s) | Upload (s) | Upload (GB/s) | Status |";
        yield return "|---|--:|--:|--:|--:|--:|--:|---|";
        foreach (var variant in ModelVariants.All)
        {
            var b = EndToEndModels.Blueprint(variant);
            var load = loads.FirstOrDefault(l => l.Variant == variant);
            yield return $"| {variant.Label()} | {b.EmbeddingWidth} | {b.Parameters.ToString("N0", Inv)} | {Num(load?.DeviceBytes / (double)(1L << 30), "F2")} | " +
                         $"{Num(load?.HostBuildSeconds, "F1")} | {Num(load?.UploadSeconds, "F1")} | {Num(load?.DeviceBytes / load?.UploadSeconds / 1e9, "F1")} | " +
                         $"{(load is null ? "not loaded" : load.Failure ?? "ok")} |";
        }

        var prefill = rows.Where(r => r.Case.Kind == EndToEndKind.Prefill).ToList();
        if (prefill.Count > 0)
        {
            var variants = ModelVariants.All.Where(v => prefill.Any(r => r.Case.Variant == v)).ToList();
            int seqLen = prefill[0].Case.SeqLen;
            yield return "";
            yield return $"### Prefill throughput, sequence length {seqLen} (Table 11 layout)";
            yield return "";
            yield return $"| Batch | {string.Join(" | ", variants.Select(v => $"{v.Label()} tokens/s (vs dense)"))} | {string.Join(" | ", variants.Select(v => $"{v.Label()} ms/forward"))} | " +
                         $"PyTorch tokens/s | {string.Join(" | ", variants.Select(v => $"{v.Label()} vs PyTorch"))} |";
            yield return $"|--:|{string.Concat(variants.Select(_ => "--:|"))}{string.Concat(variants.Select(_ => "--:|"))}--:|{string.Concat(variants.Select(_ => "--:|"))}";
            foreach (int batch in prefill.Select(r => r.Case.Batch).Distinct())
            {
                var cells = variants.Select(v => prefill.FirstOrDefault(r => r.Case.Variant == v && r.Case.Batch == batch)).ToList();
                var theirs = cells.OfType<EndToEndRow>().Select(r => PyTorchOf(r, pytorch)).FirstOrDefault(t => t is not null);
                yield return $"| {batch} | {string.Join(" | ", cells.Select(Throughput))} | {string.Join(" | ", cells.Select(r => r is null || r.Status is not null ? "-" : Num(r.MedianMicroseconds / 1000, "F2")))} | " +
                             $"{(theirs is null ? "NA" : Num(theirs.TokensPerSecond, "N0"))} | {string.Join(" | ", cells.Select(r => r is null ? "-" : X(VersusPyTorch(r, pytorch))))} |";
            }
            yield return $"| best | {string.Join(" | ", variants.Select(v => Best(prefill, v)))} | {string.Concat(variants.Select(_ => " |"))} |{string.Concat(variants.Select(_ => " |"))}";
        }

        var decode = rows.Where(r => r.Case.Kind == EndToEndKind.Decode).ToList();
        if (decode.Count > 0)
        {
            var c = decode[0].Case;
            yield return "";
            yield return $"### Decode at batch 1: {c.Steps} tokens after a {c.SeqLen}-token prompt (Table 2 layout)";
            yield return "";
            yield return "| Model | ms/token (mean) | median (p10-p90) ms | tokens/s | speedup | GB read/token | GB/s | % of HBM peak | PyTorch ms/token | vs PyTorch | Status |";
            yield return "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|";
            foreach (var r in decode)
            {
                var theirs = PyTorchOf(r, pytorch);
                yield return $"| {r.Case.Variant.Label()} | {Num(r.MeanMicroseconds / 1000, "F3")} | {Num(r.MedianMicroseconds / 1000, "F3")} " +
                             $"({Num(r.P10Microseconds / 1000, "F3")}-{Num(r.P90Microseconds / 1000, "F3")}) | {Num(r.TokensPerSecond, "F1")} | " +
                             $"{X(r.SpeedupOverDense)} | {Num(r.BytesPerToken / 1e9, "F3")} | {Num(r.BytesPerToken / (r.MeanMicroseconds / 1e6) / 1e9, "F0")} | " +
                             $"{Num(100 * r.RooflineShare, "F1")} | {(theirs is null ? "NA" : Num(1000 / theirs.TokensPerSecond, "F3"))} | {X(VersusPyTorch(r, pytorch))} | {r.Status ?? "ok"} |";
            }
        }

        if (pytorch is { Rows.Count: > 0 })
        {
            yield return "";
            yield return "### PyTorch in the same run (bench/pytorch: transformers' LlamaForCausalLM, LLAMA-2 7B shapes, random fp16 weights, SDPA)";
            yield return "";
            yield return "| Measure | Engine | median ms | tokens/s | Status |";
            yield return "|---|---|--:|--:|---|";
            foreach (var t in pytorch.Rows)
                yield return $"| {(t.Kind == "prefill" ? $"prefill {t.Batch}x{t.SeqLen}" : $"decode {t.Steps} after {t.SeqLen}")} | {t.Engine} | " +
                             $"{Num(t.MedianMs, "F3")} | {Num(t.TokensPerSecond, "N0")} | {t.Status} |";
        }
        yield return "";
        yield return "Notes. Times are CUDA-event GPU times on the session's stream, after a warm-up forward that also checks the " +
                     "loss is finite and near ln(vocab). Prefill: one `RowNegLogLikelihoods` call per sample (token upload, every " +
                     "block, fp32 logits of every position in 256-row chunks, a per-row loss sum; launch gaps included), the forward " +
                     "pass the paper times; tokens/s = batch x length / median. Decode: one `Step` per sample (greedy, the host's " +
                     "argmax and the logits download included), so ms/token is what a caller sees; speedup = dense ms/token / this. " +
                     "GB read/token: every block and head weight once, one embedding row, and the KV cache at the mean context; " +
                     "% of HBM peak: that over the mean step time, against the datasheet bandwidth. OOM: the batch does not fit " +
                     "(the paper doubles the batch until it does not). The paper's Table 11 ran HF PyTorch on 80 GB H100s with " +
                     "13B-70B models, its Table 2 on A100s and RTX6000s with 66B-70B models over several GPUs: compare speedups, not times. " +
                     "vs PyTorch: this engine's tokens/s over the fastest completed PyTorch run of the same measure in the same run " +
                     "(prefill: same batch and length; decode: same prompt, per token; PyTorch runs the dense model only, so a sliced " +
                     "model's ratio is against dense PyTorch). " + (pytorchLine ?? "No PyTorch results were given.");
    }

    /// <summary>The CSV: one row per case; the last three columns are PyTorch's fastest run of the same measure, when given.</summary>
    internal static IEnumerable<string> Csv(IReadOnlyList<EndToEndRow> rows, EndToEndComparison? pytorch = null)
    {
        yield return "kind,model,d,batch,seq_len,steps,samples,median_ms,mean_ms,p10_ms,p90_ms,tokens_per_s,speedup_vs_dense," +
                     "bytes_per_token,achieved_gb_per_s,roofline_pct,status,device,pytorch_tokens_per_s,vs_pytorch,pytorch_engine";
        foreach (var r in rows)
        {
            var c = r.Case;
            yield return string.Join(",", c.Kind.ToString().ToLowerInvariant(), ExportFiles.Csv(c.Variant.Label()),
                EndToEndModels.Blueprint(c.Variant).EmbeddingWidth, c.Batch, c.SeqLen, c.Steps, r.Samples,
                Num(r.MedianMicroseconds / 1000, "G6"), Num(r.MeanMicroseconds / 1000, "G6"), Num(r.P10Microseconds / 1000, "G6"),
                Num(r.P90Microseconds / 1000, "G6"), Num(r.TokensPerSecond, "G6"), Num(r.SpeedupOverDense, "G4"), Num(r.BytesPerToken, "G6"),
                Num(r.BytesPerToken / (r.MeanMicroseconds / 1e6) / 1e9, "G4"), Num(100 * r.RooflineShare, "G4"),
                ExportFiles.Csv(r.Status ?? "ok"), ExportFiles.Csv(ExportFiles.DeviceName()),
                Num(PyTorchOf(r, pytorch)?.TokensPerSecond, "G6"), Num(VersusPyTorch(r, pytorch), "G4"), ExportFiles.Csv(PyTorchOf(r, pytorch)?.Engine ?? ""));
        }
    }

    private static string Throughput(EndToEndRow? r) => r is null ? "-" : r.Status is not null ? Short(r.Status)
        : $"{Num(r.TokensPerSecond, "N0")} ({X(r.SpeedupOverDense)})";

    // The paper's Table 11 reports each model's best batch: the largest throughput among the batches that ran.
    private static string Best(IReadOnlyList<EndToEndRow> prefill, ModelVariant variant)
    {
        var best = prefill.Where(r => r.Case.Variant == variant && r.Status is null && double.IsFinite(r.TokensPerSecond))
            .MaxBy(r => r.TokensPerSecond);
        return best is null ? "-" : $"{Num(best.TokensPerSecond, "N0")} at batch {best.Case.Batch}";
    }

    private static string Short(string status) => status.StartsWith("out of memory", StringComparison.Ordinal) ? "OOM"
        : status.Contains("does not fit", StringComparison.Ordinal) ? "does not fit" : "NA";

    private static string X(double ratio) => double.IsFinite(ratio) ? ratio.ToString("F2", Inv) + "x" : "NA";

    private static string Num(double? value, string format) =>
        value is double v && double.IsFinite(v) ? v.ToString(format, Inv) : "NA";
}
