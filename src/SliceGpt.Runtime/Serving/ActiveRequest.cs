using System.Diagnostics;
using System.Threading.Channels;

namespace SliceGpt.Runtime.Serving;

/// <summary>One request inside the engine, from submission to its last update. The engine's loop alone mutates it, except <see cref="Cancel"/>.</summary>
internal sealed class ActiveRequest
{
    private readonly Channel<GenerationUpdate> _updates = Channel.CreateUnbounded<GenerationUpdate>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly List<int> _newTokens = [];
    private int _cancelled;
    private TimeSpan? _firstToken;
    private TimeSpan _lastToken;

    public ActiveRequest(int[] prompt, int maxTokens, GenerationRequest request, TokenSampler sampler, IncrementalDetokenizer text, int blocks)
    {
        Prompt = prompt;
        MaxTokens = maxTokens;
        Request = request;
        Sampler = sampler;
        Text = text;
        Blocks = blocks;
    }

    public int[] Prompt { get; }

    public int MaxTokens { get; }

    public GenerationRequest Request { get; }

    public TokenSampler Sampler { get; }

    public IncrementalDetokenizer Text { get; }

    /// <summary>KV blocks reserved for the worst case: the prompt and every token but the last fed back.</summary>
    public int Blocks { get; }

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public TimeSpan QueueTime { get; set; }

    /// <summary>The sequence slot, or −1 while waiting.</summary>
    public int Slot { get; set; } = -1;

    /// <summary>Positions in the slot's KV cache.</summary>
    public int Cached { get; set; }

    /// <summary>Generated tokens.</summary>
    public List<int> Output { get; } = [];

    /// <summary>The prompt has run: each step feeds the last generated token.</summary>
    public bool Decoding => Cached >= Prompt.Length;

    public bool IsCancelled => Volatile.Read(ref _cancelled) != 0;

    public bool IsFinished { get; private set; }

    public ChannelReader<GenerationUpdate> Updates => _updates.Reader;

    /// <summary>The caller's cancellation registration, released when the request ends.</summary>
    public CancellationTokenRegistration Cancellation { get; set; }

    public void Cancel() => Interlocked.Exchange(ref _cancelled, 1);

    /// <summary>Records a generated token and publishes the text it releases; returns true when that text hit a stop string.</summary>
    public bool Emit(int token, bool isStopToken, EngineMetrics metrics)
    {
        var now = Clock.Elapsed;
        if (_firstToken is null)
        {
            _firstToken = now;
            metrics.FirstToken(now);
        }
        else
            metrics.NextToken(now - _lastToken);
        _lastToken = now;
        Output.Add(token);
        Sampler.Accept(token);
        _newTokens.Add(token);
        if (isStopToken)
            return false;
        var (text, stopped) = Text.Add(token);
        if (text.Length > 0 || stopped)
            Publish(text);
        return stopped;
    }

    /// <summary>Publishes the last update (held-back text, the finish reason, the usage) and completes the stream.</summary>
    public GenerationUsage Finish(FinishReason reason, EngineMetrics metrics)
    {
        var (text, _) = reason == FinishReason.Stop && _stoppedByString ? ("", false) : Text.Finish();
        var usage = new GenerationUsage(Prompt.Length, Output.Count, 0, QueueTime, _firstToken, Clock.Elapsed);
        _updates.Writer.TryWrite(new GenerationUpdate(text, TakeNewTokens(), reason, usage));
        _updates.Writer.TryComplete();
        IsFinished = true;
        Cancellation.Unregister();
        metrics.Finished(reason, usage);
        return usage;
    }

    /// <summary>Ends the stream with an error (an engine failure or its disposal).</summary>
    public void Fail(Exception error)
    {
        _updates.Writer.TryComplete(error);
        IsFinished = true;
        Cancellation.Unregister();
    }

    private bool _stoppedByString;

    /// <summary>Marks that a stop string ended the text (nothing after it may be released).</summary>
    public void StoppedByString() => _stoppedByString = true;

    private void Publish(string text) => _updates.Writer.TryWrite(new GenerationUpdate(text, TakeNewTokens(), null, null));

    private int[] TakeNewTokens()
    {
        var tokens = _newTokens.ToArray();
        _newTokens.Clear();
        return tokens;
    }
}
