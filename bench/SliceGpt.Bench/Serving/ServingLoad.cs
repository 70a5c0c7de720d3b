using System.Diagnostics;
using System.Globalization;
using SliceGpt.Bench.Support;
using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;
using SliceGpt.Runtime.Serving;
using SliceGpt.Runtime.Tokenization;
using SliceGpt.Runtime.Architectures;

namespace SliceGpt.Bench.Serving;

/// <summary>
/// The serving load test of issue 13 on the CPU: (1) aggregate decode tokens/s of 1 and of N concurrent streams through one
/// <see cref="InferenceEngine"/> (continuous batching), and (2) a soak of many streaming clients that cancel at random:
/// no request lost, every KV block back in the pool, no deadlock, with p50/p99 time to first token and inter-token
/// latency. Not a BenchmarkDotNet suite: it is a load test with its own clock. Writes a CSV and a markdown table.
/// <code>SliceGpt.Bench --serving-load [--model stories260K|llama-110m-shapes] [--streams 8] [--seconds 20] [--clients 32] [--soak-seconds 60] [--out DIR]</code>
/// </summary>
internal static class ServingLoad
{
    public static int Run(string[] args, TextWriter output)
    {
        var options = Arguments.Parse(args);
        var model = options.Model switch
        {
            "stories260K" => ModelLoader.Load<float>(SharedFiles.Get("models", "stories260K", "stories260K.bin")),
            "llama-110m-shapes" => RandomModel.Create(Llama110mShapes),
            _ => throw new ArgumentException($"--model must be stories260K or llama-110m-shapes, got {options.Model}"),
        };
        var tokenizer = TokenizerLoader.Load(SharedFiles.Get("models", "stories260K", "tok512.bin"));
        using var executable = new CpuExecutableModel<float>(model);
        var rows = new List<string[]>();
        output.WriteLine($"serving load on {options.Model}, {Environment.ProcessorCount} cores, {executable.Backend}");

        double single = Throughput(executable, tokenizer, 1, options.Seconds, output);
        double many = Throughput(executable, tokenizer, options.Streams, options.Seconds, output);
        rows.Add(["throughput", options.Model, "1", F(single), "", "", "", "", ""]);
        rows.Add(["throughput", options.Model, options.Streams.ToString(CultureInfo.InvariantCulture), F(many), F(many / single), "", "", "", ""]);
        output.WriteLine($"{options.Streams} streams: {many / single:F2}× the tokens/s of one");

        var soak = Soak(executable, tokenizer, options.Clients, options.SoakSeconds, output);
        rows.Add(["soak", options.Model, options.Clients.ToString(CultureInfo.InvariantCulture), F(soak.TokensPerSecond), "",
            F(soak.TimeToFirstToken.P50 * 1e3), F(soak.TimeToFirstToken.P99 * 1e3), F(soak.InterToken.P50 * 1e3), F(soak.InterToken.P99 * 1e3)]);

        Directory.CreateDirectory(options.Out);
        var csv = Path.Combine(options.Out, $"serving-load-{options.Model}.csv");
        File.WriteAllLines(csv, [string.Join(',', Header), .. rows.Select(r => string.Join(',', r))]);
        output.WriteLine($"wrote {csv}");
        return soak.Healthy ? 0 : 1;
    }

    private static readonly string[] Header =
        ["phase", "model", "streams", "tokens_per_s", "vs_one_stream", "ttft_p50_ms", "ttft_p99_ms", "itl_p50_ms", "itl_p99_ms"];

    /// <summary>The 110M-shaped llama2.c model of issue 11 (D 768, 12 layers, hidden 2048, vocab 512), random weights.</summary>
    public static ModelConfig Llama110mShapes => new()
    {
        Family = ArchitectureFamily.Llama, ArchitectureName = "llama2.c (random, 110M shapes)", Dim = 768, HiddenDim = 2048,
        NLayers = 12, NHeads = 12, NKvHeads = 12, HeadDim = 64, VocabSize = 512, MaxSeqLen = 1024, NormEps = 1e-5,
        Norm = NormKind.RmsNorm, Block = BlockKind.Sequential, Activation = MlpActivation.SiluGated, Rope = RopeLayout.Interleaved,
        RotaryDim = 64, TiedEmbeddings = true,
    };

    // Each stream submits greedy requests of 64 tokens (EOS ignored) back to back for the given time; tokens/s over all.
    private static double Throughput(IExecutableModel model, ITokenizer tokenizer, int streams, double seconds, TextWriter output)
    {
        using var engine = new InferenceEngine(model, tokenizer, new EngineOptions { MaxConcurrentSequences = Math.Max(streams, 1) });
        long tokens = 0;
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        var workers = Enumerable.Range(0, streams).Select(i => Task.Run(async () =>
        {
            while (clock.Elapsed < deadline)
            {
                var result = await engine.CompleteAsync(new GenerationRequest { Prompt = $"Once upon a time {i}", MaxTokens = 64, IgnoreEos = true });
                Interlocked.Add(ref tokens, result.Usage.CompletionTokens);
            }
        })).ToArray();
        Task.WaitAll(workers);
        double rate = tokens / clock.Elapsed.TotalSeconds;
        output.WriteLine($"{streams} stream(s): {rate:F1} tokens/s ({tokens} tokens in {clock.Elapsed.TotalSeconds:F1} s)");
        return rate;
    }

    private sealed record SoakResult(double TokensPerSecond, Percentiles TimeToFirstToken, Percentiles InterToken, bool Healthy);

    private readonly record struct Percentiles(double P50, double P99)
    {
        public static Percentiles Of(List<double> values)
        {
            if (values.Count == 0)
                return new Percentiles(double.NaN, double.NaN);
            values.Sort();
            return new Percentiles(values[(int)(0.50 * (values.Count - 1))], values[(int)(0.99 * (values.Count - 1))]);
        }
    }

    // Clients stream requests of random length; a quarter cancel at a random token. Every submission must end with a
    // finish reason (stop, length or cancelled), the pool must be whole again, and the engine must go idle in time.
    private static SoakResult Soak(IExecutableModel model, ITokenizer tokenizer, int clients, double seconds, TextWriter output)
    {
        using var engine = new InferenceEngine(model, tokenizer, new EngineOptions { MaxConcurrentSequences = 16 });
        var ttft = new List<double>();
        var gaps = new List<double>();
        long submitted = 0, finished = 0, cancelled = 0, refused = 0, failed = 0, tokens = 0;
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        var workers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var rng = new Random(c);
            var localTtft = new List<double>();
            var localGaps = new List<double>();
            while (clock.Elapsed < deadline)
            {
                int maxTokens = rng.Next(8, 129);
                int cancelAt = rng.NextDouble() < 0.25 ? rng.Next(1, maxTokens) : int.MaxValue;
                using var cts = new CancellationTokenSource();
                var request = new GenerationRequest
                {
                    Prompt = $"Client {c} says once upon a time", MaxTokens = maxTokens,
                    Sampling = new SamplingParameters { Temperature = 0.8, TopP = 0.95, Seed = (ulong)rng.NextInt64() },
                };
                GenerationStream stream;
                try
                {
                    stream = engine.Submit(request, cts.Token);
                }
                catch (GenerationRejectedException e) when (e.Kind == RejectionKind.Overloaded)
                {
                    Interlocked.Increment(ref refused);
                    await Task.Delay(10);
                    continue;
                }
                Interlocked.Increment(ref submitted);
                var start = Stopwatch.GetTimestamp();
                long last = start;
                int seen = 0;
                try
                {
                    await foreach (var update in stream)
                    {
                        long now = Stopwatch.GetTimestamp();
                        if (update.TokenIds.Count > 0)
                        {
                            (seen == 0 ? localTtft : localGaps).Add(Stopwatch.GetElapsedTime(seen == 0 ? start : last, now).TotalSeconds);
                            last = now;
                        }
                        seen += update.TokenIds.Count;
                        if (seen >= cancelAt)
                            cts.Cancel();
                        if (update.FinishReason is { } reason)
                        {
                            Interlocked.Increment(ref reason == FinishReason.Cancelled ? ref cancelled : ref finished);
                            Interlocked.Add(ref tokens, update.Usage!.CompletionTokens);
                        }
                    }
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failed);
                    output.WriteLine($"client {c}: {e.GetType().Name}: {e.Message}");
                }
            }
            lock (ttft)
            {
                ttft.AddRange(localTtft);
                gaps.AddRange(localGaps);
            }
        })).ToArray();
        bool completed = Task.WaitAll(workers, TimeSpan.FromSeconds(seconds + 120));
        double elapsed = clock.Elapsed.TotalSeconds;
        var idleBy = Stopwatch.StartNew();
        while ((engine.RunningCount > 0 || engine.WaitingCount > 0) && idleBy.Elapsed < TimeSpan.FromSeconds(30))
            Thread.Sleep(10);
        long lost = submitted - finished - cancelled - failed;
        var (used, total) = engine.KvBlocks;
        bool healthy = completed && lost == 0 && failed == 0 && used == 0 && engine.RunningCount == 0 && engine.WaitingCount == 0;
        var (t, g) = (Percentiles.Of(ttft), Percentiles.Of(gaps));
        output.WriteLine($"soak: {clients} clients, {elapsed:F0} s: {submitted} submitted, {finished} finished, {cancelled} cancelled, " +
            $"{refused} refused (queue full), {failed} failed, {lost} lost; KV blocks in use at the end {used} of {total}; " +
            $"{(completed ? "every client finished" : "CLIENTS DID NOT FINISH (deadlock?)")}");
        output.WriteLine($"soak: {tokens / elapsed:F1} tokens/s; time to first token p50 {t.P50 * 1e3:F1} ms, p99 {t.P99 * 1e3:F1} ms; " +
            $"inter-token p50 {g.P50 * 1e3:F2} ms, p99 {g.P99 * 1e3:F2} ms; {(healthy ? "healthy" : "UNHEALTHY")}");
        return new SoakResult(tokens / elapsed, t, g, healthy);
    }

    private static string F(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    private sealed record Arguments(string Model, int Streams, double Seconds, int Clients, double SoakSeconds, string Out)
    {
        public static Arguments Parse(string[] args)
        {
            string Value(string name, string fallback)
            {
                int i = Array.IndexOf(args, name);
                return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
            }
            return new Arguments(Value("--model", "stories260K"), int.Parse(Value("--streams", "8"), CultureInfo.InvariantCulture),
                double.Parse(Value("--seconds", "20"), CultureInfo.InvariantCulture), int.Parse(Value("--clients", "32"), CultureInfo.InvariantCulture),
                double.Parse(Value("--soak-seconds", "60"), CultureInfo.InvariantCulture),
                Value("--out", Path.Combine(Environment.CurrentDirectory, "BenchmarkDotNet.Artifacts", "results")));
        }
    }
}
