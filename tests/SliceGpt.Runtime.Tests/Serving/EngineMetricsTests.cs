using System.Diagnostics.Metrics;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Serving;
using SliceGpt.Runtime.Tokenization;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Runtime.Tests.Serving;

/// <summary>The engine's meter, as a server's exporter sees it through a <see cref="MeterListener"/>.</summary>
public class EngineMetricsTests
{
    [Test]
    public async Task FinishedRequests_RecordTheirTimesAndTokens_AndTheGaugesReadTheEngine()
    {
        var tokenizer = TokenizerLoader.Load(SharedPaths.Get("models", "stories260K", "tok512.bin"));
        using var prepared = new CpuBackend().Prepare(ModelLoader.Load<float>(SharedPaths.Get("models", "stories260K", "stories260K.bin")));
        using var engine = new InferenceEngine(prepared, tokenizer);
        var doubles = new List<(string Name, double Value)>();
        var longs = new List<(string Name, long Value)>();
        var ints = new List<(string Name, int Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Engines of parallel tests publish meters of the same name: listen to this engine's only.
            if (instrument.Meter.Name == EngineMetrics.MeterName && ReferenceEquals(instrument.Meter, engine.Metrics.Meter))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => { lock (doubles) doubles.Add((i.Name, v)); });
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => { lock (longs) longs.Add((i.Name, v)); });
        listener.SetMeasurementEventCallback<int>((i, v, _, _) => { lock (ints) ints.Add((i.Name, v)); });
        listener.Start();

        var result = await engine.CompleteAsync(new GenerationRequest { Prompt = "Once upon a time", MaxTokens = 6, IgnoreEos = true });
        listener.RecordObservableInstruments();

        Assert.Multiple(() =>
        {
            Assert.That(doubles.Count(d => d.Name == "slicegpt.time_to_first_token"), Is.EqualTo(1));
            Assert.That(doubles.Count(d => d.Name == "slicegpt.time_per_output_token"), Is.EqualTo(5), "one gap between each pair of the 6 tokens");
            Assert.That(doubles.Single(d => d.Name == "slicegpt.request.duration").Value, Is.GreaterThan(0));
            Assert.That(longs.Single(l => l.Name == "slicegpt.completion_tokens").Value, Is.EqualTo(6));
            Assert.That(longs.Single(l => l.Name == "slicegpt.prompt_tokens").Value, Is.EqualTo(result.Usage.PromptTokens));
            Assert.That(ints.Where(i => i.Name == "slicegpt.requests.running").Select(i => i.Value), Is.EqualTo(new[] { 0 }));
            Assert.That(ints.Where(i => i.Name == "slicegpt.kv_blocks.used").Select(i => i.Value), Is.EqualTo(new[] { 0 }));
        });
    }
}
