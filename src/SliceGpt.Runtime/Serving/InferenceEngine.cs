using SliceGpt.Runtime.Inference;
using SliceGpt.Runtime.Tokenization;

namespace SliceGpt.Runtime.Serving;

/// <summary>
/// The object a server shares: one prepared model, one batched session, and a loop that serves every request with
/// continuous batching. Each step advances all running sequences by one token in a single batched pass (one product per
/// weight for the whole batch), and runs chunks of waiting prompts in the same pass; a sequence's KV blocks return to
/// the pool the moment it finishes or is cancelled. Thread-safe without a global lock: <see cref="Submit"/> may be called
/// from any thread at any time; it validates and queues the request (or refuses it with a
/// <see cref="GenerationRejectedException"/>) before its first token.
/// </summary>
public sealed partial class InferenceEngine : IDisposable
{
    private readonly IExecutableModel _model;
    private readonly ITokenizer _tokenizer;
    private readonly EngineOptions _options;
    private readonly IInferenceSession _session;
    private readonly EngineMetrics _metrics;
    private readonly object _lock = new();
    private readonly Queue<ActiveRequest> _waiting = new();   // guarded by _lock
    private readonly ActiveRequest?[] _slots;                 // the loop's own
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _loop;
    private readonly Random _seeds = new();
    private int _reservedBlocks;                              // the loop's own: blocks promised to running requests
    private int _running;
    private bool _stopping;                                   // guarded by _lock
    private int _disposed;

    /// <summary>Creates the engine's session on <paramref name="model"/> and starts its loop.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option out of range, or a context the model cannot hold.</exception>
    public InferenceEngine(IExecutableModel model, ITokenizer tokenizer, EngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        _options = options ?? new EngineOptions();
        _options.Validate();
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new ArgumentException($"the tokenizer's {tokenizer.VocabSize} ids exceed the model's vocabulary of {model.Config.VocabSize}", nameof(tokenizer));
        _model = model;
        _tokenizer = tokenizer;
        MaxContext = Math.Min(_options.MaxContext ?? model.Config.MaxSeqLen, model.Config.MaxSeqLen);
        int slots = _options.MaxConcurrentSequences;
        int? blockSize = model.PagesKvCache ? _options.KvBlockSize ?? 16 : null;
        var sessionOptions = new SessionOptions(slots, MaxContext)
        {
            KvBlockSize = blockSize is int b ? Math.Min(b, MaxContext) : null,
            KvBlocks = blockSize is null ? null : _options.KvBlocks,
            MaxTokensPerPass = _options.MaxTokensPerStep + slots,
        };
        _session = model.CreateSession(sessionOptions);
        _slots = new ActiveRequest?[slots];
        _logits = new float[slots * model.Config.VocabSize];
        _chunks = new SequenceChunk[slots];
        _passTokens = new int[_options.MaxTokensPerStep + slots];
        _chunkRequests = new ActiveRequest[slots];
        _metrics = new EngineMetrics(model.Config.ArchitectureName, () => Volatile.Read(ref _running), () => WaitingCount,
            () => _session.KvBlockCount - _session.FreeKvBlocks);
        _loop = new Thread(RunLoop) { IsBackground = true, Name = "SliceGpt engine" };
        _loop.Start();
    }

    /// <summary>Positions per sequence, prompt and completion together.</summary>
    public int MaxContext { get; }

    /// <summary>The backend computing every request.</summary>
    public string Backend => _session.Backend;

    /// <summary>The engine's metrics (<see cref="EngineMetrics.MeterName"/>).</summary>
    public EngineMetrics Metrics => _metrics;

    /// <summary>Requests holding a sequence slot now.</summary>
    public int RunningCount => Volatile.Read(ref _running);

    /// <summary>Requests queued for a slot now.</summary>
    public int WaitingCount
    {
        get
        {
            lock (_lock)
                return _waiting.Count;
        }
    }

    /// <summary>KV-cache blocks held by sequences now, and the pool's size.</summary>
    public (int Used, int Total) KvBlocks => (_session.KvBlockCount - _session.FreeKvBlocks, _session.KvBlockCount);

    /// <summary>
    /// Validates <paramref name="request"/>, tokenises its prompt and queues it. Everything that can be refused is refused
    /// here, before any token: a server maps <see cref="GenerationRejectedException.Kind"/> to its status code.
    /// </summary>
    /// <exception cref="GenerationRejectedException">Invalid, too long for the context, or the queue is full.</exception>
    /// <exception cref="ObjectDisposedException">The engine is disposed.</exception>
    public GenerationStream Submit(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var active = Admit(request);
        lock (_lock)
        {
            if (_stopping)
                throw new ObjectDisposedException(nameof(InferenceEngine));
            // The queue holds requests on their way to a free slot too: only those beyond the free slots wait for one.
            int freeSlots = Math.Max(0, _options.MaxConcurrentSequences - Volatile.Read(ref _running));
            if (_waiting.Count >= _options.MaxQueuedRequests + freeSlots)
                throw new GenerationRejectedException(RejectionKind.Overloaded,
                    $"{_waiting.Count} requests are already waiting (the engine's limit is {_options.MaxQueuedRequests}); retry later");
            _waiting.Enqueue(active);
        }
        // The registration goes when the request finishes, so a long-lived token keeps no finished request alive.
        if (cancellationToken.CanBeCanceled)
            active.Cancellation = cancellationToken.Register(static state =>
            {
                var (engine, r) = ((InferenceEngine, ActiveRequest))state!;
                r.Cancel();
                engine.Wake();
            }, (this, active));
        Wake();
        return new GenerationStream(active, Backend);
    }

    /// <summary>
    /// Submits <paramref name="request"/> (refusals are thrown now, not at the first enumeration) and returns its updates;
    /// cancelling <paramref name="cancellationToken"/> cancels the request.
    /// </summary>
    public IAsyncEnumerable<GenerationUpdate> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default) =>
        Enumerate(Submit(request, cancellationToken), cancellationToken);

    private static async IAsyncEnumerable<GenerationUpdate> Enumerate(GenerationStream stream,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var update in stream.WithCancellation(cancellationToken).ConfigureAwait(false))
            yield return update;
    }

    /// <summary>Runs <paramref name="request"/> to its end and returns the whole completion.</summary>
    public Task<GenerationResult> CompleteAsync(GenerationRequest request, CancellationToken cancellationToken = default) =>
        Submit(request, cancellationToken).ToResultAsync(cancellationToken);

    /// <summary>Stops the loop: running and waiting requests end as cancelled; the session is freed. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        lock (_lock)
            _stopping = true;
        Wake();
        _loop.Join();
        _session.Dispose();
        _metrics.Dispose();
        _wake.Dispose();
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // A cancellation after disposal: there is nothing left to wake.
        }
    }

    // Everything about a request that can be checked without the loop.
    private ActiveRequest Admit(GenerationRequest request)
    {
        if ((request.Prompt is null) == (request.PromptTokens is null))
            throw Invalid("exactly one of a prompt text and prompt tokens is needed", "prompt");
        int[] prompt = request.Prompt is { } text ? _tokenizer.Encode(text, _tokenizer.AddsBosByDefault) : [.. request.PromptTokens!];
        if (prompt.Length == 0)
            throw Invalid("the prompt encodes to no tokens and the tokenizer has no BOS to start from", "prompt");
        foreach (int id in prompt)
            if ((uint)id >= (uint)_model.Config.VocabSize)
                throw Invalid($"prompt token {id} is outside the vocabulary (0..{_model.Config.VocabSize - 1})", "prompt");
        foreach (int id in request.StopTokenIds)
            if ((uint)id >= (uint)_model.Config.VocabSize)
                throw Invalid($"stop token {id} is outside the vocabulary (0..{_model.Config.VocabSize - 1})", "stop_token_ids");
        var p = request.Sampling ?? throw Invalid("sampling parameters are required", "sampling");
        if (!(p.Temperature >= 0) || double.IsInfinity(p.Temperature))
            throw Invalid($"temperature must be a finite number ≥ 0, got {p.Temperature}", "temperature");
        if (!(p.TopP > 0 && p.TopP <= 1))
            throw Invalid($"top_p must be in (0, 1], got {p.TopP}", "top_p");
        if (p.TopK < 0)
            throw Invalid($"top_k must be ≥ 0, got {p.TopK}", "top_k");
        if (!(p.MinP >= 0 && p.MinP <= 1))
            throw Invalid($"min_p must be in [0, 1], got {p.MinP}", "min_p");
        if (!(p.RepetitionPenalty > 0) || double.IsInfinity(p.RepetitionPenalty))
            throw Invalid($"repetition_penalty must be a finite number > 0, got {p.RepetitionPenalty}", "repetition_penalty");
        if (!(Math.Abs(p.PresencePenalty) <= 2))
            throw Invalid($"presence_penalty must be in [-2, 2], got {p.PresencePenalty}", "presence_penalty");
        if (!(Math.Abs(p.FrequencyPenalty) <= 2))
            throw Invalid($"frequency_penalty must be in [-2, 2], got {p.FrequencyPenalty}", "frequency_penalty");
        if (request.StopStrings.Any(s => s is null))
            throw Invalid("stop strings must not be null", "stop");
        if (prompt.Length >= MaxContext)
            throw new GenerationRejectedException(RejectionKind.ContextLengthExceeded,
                $"the prompt has {prompt.Length} tokens; this engine's context holds {MaxContext}, leaving no room for a completion", "prompt");
        int room = MaxContext - prompt.Length;
        int maxTokens = request.MaxTokens ?? room;
        if (maxTokens < 1)
            throw Invalid($"max_tokens must be at least 1, got {maxTokens}", "max_tokens");
        if (maxTokens > room)
            throw new GenerationRejectedException(RejectionKind.ContextLengthExceeded,
                $"{prompt.Length} prompt tokens + max_tokens {maxTokens} exceed this engine's context of {MaxContext} tokens", "max_tokens");
        // The last generated token is never fed back: the worst case caches prompt + maxTokens − 1 positions.
        int blocks = (prompt.Length + maxTokens - 1 + _session.KvBlockSize - 1) / _session.KvBlockSize;
        if (blocks > _session.KvBlockCount)
            throw new GenerationRejectedException(RejectionKind.ContextLengthExceeded,
                $"the request may need {blocks} KV blocks of {_session.KvBlockSize} positions; the engine's pool has {_session.KvBlockCount}", "max_tokens");
        ulong seed = p.Seed ?? NextSeed();
        var sampler = new TokenSampler(_tokenizer.VocabSize, p, seed, prompt);
        return new ActiveRequest(prompt, maxTokens, request, sampler, new IncrementalDetokenizer(_tokenizer, prompt, request.StopStrings), blocks);
    }

    private ulong NextSeed()
    {
        lock (_seeds)
            return (ulong)_seeds.NextInt64() | 1;
    }

    private static GenerationRejectedException Invalid(string message, string parameter) =>
        new(RejectionKind.InvalidRequest, message, parameter);
}
