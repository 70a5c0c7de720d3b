using System.Diagnostics.Metrics;

namespace SliceGpt.Runtime.Serving;

/// <summary>
/// The engine's <see cref="System.Diagnostics.Metrics"/> instruments, on the meter <see cref="MeterName"/>: time to first
/// token, time per output token and request duration (histograms, seconds), requests and tokens (counters), and the
/// running and waiting requests and KV blocks in use (gauges). A server exports them with OpenTelemetry or
/// dotnet-counters; each engine tags its measurements with its model's name.
/// </summary>
public sealed class EngineMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "SliceGpt.Engine";

    private readonly Meter _meter;
    private readonly KeyValuePair<string, object?> _model;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<double> _timePerOutputToken;
    private readonly Histogram<double> _requestDuration;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _promptTokens;
    private readonly Counter<long> _completionTokens;

    internal EngineMetrics(string model, Func<int> running, Func<int> waiting, Func<int> kvBlocksInUse)
    {
        _meter = new Meter(MeterName, EngineVersion.Text);
        _model = new KeyValuePair<string, object?>("model", model);
        _timeToFirstToken = _meter.CreateHistogram<double>("slicegpt.time_to_first_token", "s", "From submission to the first generated token");
        _timePerOutputToken = _meter.CreateHistogram<double>("slicegpt.time_per_output_token", "s", "Between consecutive generated tokens of a request");
        _requestDuration = _meter.CreateHistogram<double>("slicegpt.request.duration", "s", "From submission to the end of a request");
        _requests = _meter.CreateCounter<long>("slicegpt.requests", "{request}", "Finished requests, by finish reason");
        _promptTokens = _meter.CreateCounter<long>("slicegpt.prompt_tokens", "{token}", "Prompt tokens of finished requests");
        _completionTokens = _meter.CreateCounter<long>("slicegpt.completion_tokens", "{token}", "Generated tokens of finished requests");
        _meter.CreateObservableGauge("slicegpt.requests.running", () => new Measurement<int>(running(), _model), "{request}", "Requests holding a sequence slot");
        _meter.CreateObservableGauge("slicegpt.requests.waiting", () => new Measurement<int>(waiting(), _model), "{request}", "Requests queued for a slot");
        _meter.CreateObservableGauge("slicegpt.kv_blocks.used", () => new Measurement<int>(kvBlocksInUse(), _model), "{block}", "KV-cache blocks held by sequences");
    }

    internal void FirstToken(TimeSpan sinceSubmission) => _timeToFirstToken.Record(sinceSubmission.TotalSeconds, _model);

    internal void NextToken(TimeSpan sincePrevious) => _timePerOutputToken.Record(sincePrevious.TotalSeconds, _model);

    internal void Finished(FinishReason reason, GenerationUsage usage)
    {
        _requestDuration.Record(usage.Duration.TotalSeconds, _model);
        _requests.Add(1, _model, new KeyValuePair<string, object?>("finish_reason", reason.ToString().ToLowerInvariant()));
        _promptTokens.Add(usage.PromptTokens, _model);
        _completionTokens.Add(usage.CompletionTokens, _model);
    }

    /// <summary>Disposes the meter.</summary>
    public void Dispose() => _meter.Dispose();
}
