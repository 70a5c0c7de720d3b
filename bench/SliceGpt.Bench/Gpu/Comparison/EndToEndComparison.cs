using SliceGpt.Bench.Support;

namespace SliceGpt.Bench.Gpu.Comparison;

/// <summary>
/// One row of PyTorch's end-to-end CSVs (<c>pytorch-prefill.csv</c>, <c>pytorch-decode.csv</c> from
/// <c>bench/pytorch/prefill.py</c> and <c>decode.py</c>): the columns of this engine's <c>*-end-to-end.csv</c> that apply,
/// plus <c>engine</c>, the way PyTorch ran (eager, static cache, torch.compile).
/// </summary>
/// <param name="Kind">"prefill" or "decode".</param>
/// <param name="Model">The model ("Dense": PyTorch runs the dense 7B shapes).</param>
/// <param name="Batch">Sequences per forward.</param>
/// <param name="SeqLen">Prefill: tokens per sequence; decode: the prompt's length.</param>
/// <param name="Steps">Decode steps timed (0 for prefill).</param>
/// <param name="Samples">Timed samples.</param>
/// <param name="MedianMs">Median sample (a forward, or a decode step).</param>
/// <param name="MeanMs">Mean sample.</param>
/// <param name="TokensPerSecond">Prefill: batch·seqLen over the median forward; decode: 1 over the mean step.</param>
/// <param name="Status">"ok", or why it did not run.</param>
/// <param name="Engine">How PyTorch ran it.</param>
internal sealed record PyTorchEndToEndRow(string Kind, string Model, int Batch, int SeqLen, int Steps, int Samples, double MedianMs,
    double MeanMs, double TokensPerSecond, string Status, string Engine)
{
    /// <summary>True when it ran and has a throughput.</summary>
    public bool Ok => Status == "ok" && double.IsFinite(TokensPerSecond) && TokensPerSecond > 0;
}

/// <summary>PyTorch's end-to-end rows, and the lookup the end-to-end tables merge: the fastest PyTorch run of a measure.</summary>
internal sealed class EndToEndComparison(IReadOnlyList<PyTorchEndToEndRow> rows, string source)
{
    /// <summary>The columns PyTorch's end-to-end CSVs have: those of this engine's <c>*-end-to-end.csv</c> that apply, and <c>engine</c>.</summary>
    public const string Header = "kind,model,d,batch,seq_len,steps,samples,median_ms,mean_ms,p10_ms,p90_ms,tokens_per_s,status,device,engine";

    /// <summary>Every row read.</summary>
    public IReadOnlyList<PyTorchEndToEndRow> Rows { get; } = rows;

    /// <summary>Where the rows came from.</summary>
    public string Source { get; } = source;

    /// <summary>Reads and concatenates PyTorch end-to-end CSVs.</summary>
    /// <exception cref="BenchCsvException">A required column is missing or a field is malformed.</exception>
    public static EndToEndComparison Read(params string[] paths)
    {
        var rows = new List<PyTorchEndToEndRow>();
        foreach (var path in paths)
            rows.AddRange(Parse(CsvTable.Read(path)));
        return new EndToEndComparison(rows, string.Join(", ", paths));
    }

    /// <summary>The rows of a parsed table.</summary>
    public static IReadOnlyList<PyTorchEndToEndRow> Parse(CsvTable table)
    {
        table.Require("kind", "model", "batch", "seq_len", "median_ms", "tokens_per_s", "status", "engine");
        return table.Rows.Select(r =>
        {
            var kind = table.Text(r, "kind");
            if (kind is not ("prefill" or "decode"))
                throw new BenchCsvException($"{table.File}, line {r.Line}, field kind: \"{kind}\" is neither prefill nor decode");
            return new PyTorchEndToEndRow(kind, table.Text(r, "model"), table.Int(r, "batch"), table.Int(r, "seq_len"),
                table.Has("steps") ? table.Int(r, "steps") : 0, table.Has("samples") ? table.Int(r, "samples") : 0,
                table.Number(r, "median_ms"), table.Has("mean_ms") ? table.Number(r, "mean_ms") : double.NaN,
                table.Number(r, "tokens_per_s"), table.Text(r, "status"), table.Text(r, "engine"));
        }).ToList();
    }

    /// <summary>
    /// The fastest PyTorch run that completed the measure (kind, batch, prompt or sequence length), or null. Decode runs
    /// of different step counts compare per token, so steps are not part of the match.
    /// </summary>
    public PyTorchEndToEndRow? Best(string kind, int batch, int seqLen) =>
        Rows.Where(r => r.Ok && r.Kind == kind && r.Batch == batch && r.SeqLen == seqLen).MaxBy(r => r.TokensPerSecond);
}
