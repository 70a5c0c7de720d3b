using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Forward;

/// <summary>
/// What every inference session does, whatever its device: validates a request, lays out its rows, runs the
/// <see cref="ForwardDriver{TLayer}"/> over the device and reads the results back. CPU and GPU sessions forward their
/// <see cref="IInferenceSession"/> calls here, so the API's semantics are written once. Not thread-safe.
/// </summary>
internal sealed class SessionRunner<TLayer> where TLayer : IBlockShape
{
    private readonly ModelConfig _c;
    private readonly IForwardDevice<TLayer> _device;
    private readonly IReadOnlyList<TLayer> _layers;
    private readonly int _headWidth;
    private readonly float[] _lastLogits;      // (vocab) returned by Prefill and Step
    private readonly SequenceChunk[] _single = new SequenceChunk[1];
    private readonly int[] _stepToken = new int[1];
    private readonly Action<int, int> _copyBlock;    // cached: reserving blocks allocates nothing
    private readonly ProfiledDevice<TLayer>? _profiled;

    /// <param name="clock">Times every operation when the session is profiled (<see cref="SessionOptions.Profile"/>); else null.</param>
    public SessionRunner(ModelConfig config, IForwardDevice<TLayer> device, IReadOnlyList<TLayer> layers, int headWidth,
        SessionOptions options, KvBlockTable kvBlocks, int cachedLayers, IOpClock? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cachedLayers, 1);
        OneCacheLayer = cachedLayers < layers.Count;
        _c = config;
        _profiled = clock is null ? null : new ProfiledDevice<TLayer>(device, clock);
        _device = _profiled ?? device;
        _layers = layers;
        _headWidth = headWidth;
        MaxBatch = options.MaxBatch;
        MaxSeqLen = options.MaxSeqLen;
        KvBlocks = kvBlocks;
        Layout = new BatchLayout(MaxBatch, MaxSeqLen, options.TokensPerPass);
        _copyBlock = _device.CopyBlock;
        Driver = new ForwardDriver<TLayer>(config, _device);
        _lastLogits = new float[config.VocabSize];
    }

    /// <summary>The KV cache holds one layer that every block reuses: passes start at position 0 and leave nothing behind.</summary>
    public bool OneCacheLayer { get; }

    /// <summary>The driver over this session's device (the slicing pipeline runs single blocks through it).</summary>
    public ForwardDriver<TLayer> Driver { get; }

    /// <summary>The paged KV cache's block tables.</summary>
    public KvBlockTable KvBlocks { get; }

    /// <summary>The layout of the last pass.</summary>
    public BatchLayout Layout { get; }

    public int MaxBatch { get; }

    public int MaxSeqLen { get; }

    /// <summary>Tokens in slot 0, the stream of Prefill and Step.</summary>
    public int Position { get; private set; }

    public void Reset() => Position = 0;

    /// <summary>The profile since the last take; null when the session is not profiled. The device's work must have finished.</summary>
    public ForwardProfile? TakeProfile() => _profiled?.Take();

    // A session call's wall time, when profiling.
    private long BeginCall() => _profiled is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();

    private void EndCall(long start)
    {
        if (_profiled is not null)
            _profiled.AddPass(System.Diagnostics.Stopwatch.GetElapsedTime(start));
    }

    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty)
            throw new ArgumentException("prefill needs at least one token", nameof(tokens));
        if (Position + tokens.Length > MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"{Position} + {tokens.Length} tokens exceed the session's {MaxSeqLen} positions");
        long start = BeginCall();
        _single[0] = new SequenceChunk(0, Position, tokens.Length);
        Run(_single, tokens);
        Position += tokens.Length;
        _device.LastLogits(Layout, _lastLogits);
        EndCall(start);
        return _lastLogits;
    }

    public ReadOnlySpan<float> Step(int token)
    {
        _stepToken[0] = token;
        return Prefill(_stepToken);
    }

    public void Forward(ReadOnlySpan<SequenceChunk> chunks, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        long needed = (long)chunks.Length * _c.VocabSize;
        if (logits.Length < needed)
            throw new ArgumentException($"{chunks.Length} chunks need {needed} logits, the span holds {logits.Length}", nameof(logits));
        long start = BeginCall();
        Run(chunks, tokens);
        Position = 0;
        _device.LastLogits(Layout, logits[..(int)needed]);
        EndCall(start);
    }

    public void ScoreTargets(ReadOnlySpan<SequenceChunk> chunks, ReadOnlySpan<int> tokens, ReadOnlySpan<int> targets, Span<double> logProbs,
        Span<int> greedy)
    {
        if (!greedy.IsEmpty && greedy.Length < tokens.Length)
            throw new ArgumentException($"{tokens.Length} rows need {tokens.Length} greedy tokens, the span holds {greedy.Length}", nameof(greedy));
        if (targets.Length != tokens.Length)
            throw new ArgumentException($"{tokens.Length} tokens need as many targets, got {targets.Length}", nameof(targets));
        if (logProbs.Length < tokens.Length)
            throw new ArgumentException($"{tokens.Length} rows need {tokens.Length} log-probabilities, the span holds {logProbs.Length}", nameof(logProbs));
        foreach (int t in targets)
            if (t >= _c.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(targets), t, $"targets must be below the vocabulary size {_c.VocabSize} (negative: not scored)");
        long start = BeginCall();
        Run(chunks, tokens);
        Position = 0;
        _device.TargetLogProbs(Layout, targets, logProbs[..tokens.Length], greedy.IsEmpty ? default : greedy[..tokens.Length]);
        EndCall(start);
    }

    public void RowNegLogLikelihoods(ReadOnlySpan<int> rows, int batch, int seqLen, Span<double> nllPerRow)
    {
        CheckRows(rows, batch, seqLen);
        if (nllPerRow.Length < batch)
            throw new ArgumentException($"{batch} rows need {batch} sums, the span holds {nllPerRow.Length}", nameof(nllPerRow));
        long start = BeginCall();
        RunUniform(rows, batch, seqLen);
        _device.RowNegLogLikelihoods(batch, seqLen, nllPerRow[..batch]);
        EndCall(start);
    }

    /// <summary>Runs <paramref name="batch"/> rows of <paramref name="seqLen"/> tokens from position 0 (slots 0 … batch − 1).</summary>
    public void RunUniform(ReadOnlySpan<int> rows, int batch, int seqLen)
    {
        CheckIds(rows);
        LayOutUniform(batch, seqLen);
        _device.Stage(rows, Layout);
        Driver.Forward(_layers, Layout, _headWidth, OneCacheLayer);
    }

    /// <summary>Lays out <paramref name="batch"/> rows of <paramref name="seqLen"/> tokens from position 0 in slots 0 … batch − 1, with their KV blocks.</summary>
    public BatchLayout LayOutUniform(int batch, int seqLen)
    {
        Layout.SetUniform(batch, seqLen, 0);
        KvBlocks.Reserve(Layout, _copyBlock);
        Position = 0;
        return Layout;
    }

    public void CopySlot(int source, int target, int length)
    {
        CheckSlot(source, nameof(source));
        CheckSlot(target, nameof(target));
        if (length < 0 || length > KvBlocks.Length(source))
            throw new ArgumentOutOfRangeException(nameof(length), length, $"slot {source} holds {KvBlocks.Length(source)} positions");
        if (OneCacheLayer)
            throw new InvalidOperationException("a scoring session keeps no KV cache between passes: there is nothing to copy");
        if (source != target)
            KvBlocks.Share(source, target, length);
    }

    public void ReleaseSlot(int slot)
    {
        CheckSlot(slot, nameof(slot));
        KvBlocks.Release(slot);
        if (slot == 0)
            Position = 0;
    }

    public int SlotLength(int slot)
    {
        CheckSlot(slot, nameof(slot));
        return KvBlocks.Length(slot);
    }

    private void CheckSlot(int slot, string name)
    {
        if ((uint)slot >= (uint)MaxBatch)
            throw new ArgumentOutOfRangeException(name, slot, $"slots lie in 0..{MaxBatch - 1}");
    }

    /// <summary>Checks <paramref name="rows"/> holds <paramref name="batch"/> × <paramref name="seqLen"/> valid ids, seqLen ≥ 2.</summary>
    public void CheckRows(ReadOnlySpan<int> rows, int batch, int seqLen)
    {
        if (batch < 1 || batch > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"the session holds 1..{MaxBatch} rows");
        if (seqLen < 2 || seqLen > MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(seqLen), seqLen, $"rows must have 2..{MaxSeqLen} tokens");
        if (rows.Length != batch * seqLen)
            throw new ArgumentException($"expected {batch}×{seqLen} = {batch * seqLen} tokens, got {rows.Length}", nameof(rows));
        CheckIds(rows);
    }

    private void Run(ReadOnlySpan<SequenceChunk> chunks, ReadOnlySpan<int> tokens)
    {
        Layout.Set(chunks);
        if (OneCacheLayer && Layout.MaxStart > 0)
            throw new InvalidOperationException("a scoring session keeps no KV cache between passes: every chunk must start at position 0");
        if (tokens.Length != Layout.Tokens)
            throw new ArgumentException($"the chunks hold {Layout.Tokens} tokens, got {tokens.Length}", nameof(tokens));
        CheckIds(tokens);
        KvBlocks.Reserve(Layout, _copyBlock);
        _device.Stage(tokens, Layout);
        Driver.Forward(_layers, Layout, _headWidth, OneCacheLayer);
    }

    // A bad id would read outside the embedding table (a NaN row on the GPU); every device reports it the same way.
    private void CheckIds(ReadOnlySpan<int> tokens)
    {
        foreach (int id in tokens)
            if ((uint)id >= (uint)_c.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), id, $"token ids must be below the vocabulary size {_c.VocabSize}");
    }
}
