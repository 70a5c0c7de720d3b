using SliceGpt.Runtime.Inference;

namespace SliceGpt.Runtime.Serving;

// The engine's loop, on its own thread: admit waiting requests while slots and KV blocks allow, run one batched pass
// (a token for every decoding sequence, then chunks of prompts up to the step's token budget), sample, publish, and
// free what finished. Only this thread touches the session, the slots and the block reservations.
public sealed partial class InferenceEngine
{
    private readonly float[] _logits;               // (slots, vocab) next-token logits of each chunk of the pass
    private readonly SequenceChunk[] _chunks;       // (slots) the pass's chunks
    private readonly int[] _passTokens;             // (maxTokensPerStep + slots) the pass's tokens
    private readonly ActiveRequest[] _chunkRequests; // (slots) the request of each chunk

    private void RunLoop()
    {
        while (true)
        {
            bool stopping;
            lock (_lock)
                stopping = _stopping;
            if (stopping)
            {
                Drain();
                return;
            }
            DropCancelled();
            AdmitWaiting();
            if (Volatile.Read(ref _running) == 0)
            {
                _wake.Wait();
                continue;
            }
            try
            {
                Step();
            }
            catch (Exception e)
            {
                // A failed pass leaves the session's caches undefined: every running request fails with the cause.
                foreach (var r in _slots)
                    if (r is not null)
                    {
                        r.Fail(e);
                        Free(r);
                    }
            }
        }
    }

    // Cancelled requests end at the next step and give back their blocks; waiting ones never take a slot.
    private void DropCancelled()
    {
        foreach (var r in _slots)
            if (r is not null && r.IsCancelled)
                End(r, FinishReason.Cancelled);
        lock (_lock)
        {
            int count = _waiting.Count;
            for (int i = 0; i < count; i++)
            {
                var r = _waiting.Dequeue();
                if (r.IsCancelled)
                    r.Finish(FinishReason.Cancelled, _metrics);
                else
                    _waiting.Enqueue(r);
            }
        }
    }

    // First come, first served: the oldest waiting request takes the next free slot once the pool can hold its worst case.
    private void AdmitWaiting()
    {
        while (true)
        {
            int slot = Array.IndexOf(_slots, null);
            if (slot < 0)
                return;
            ActiveRequest r;
            lock (_lock)
            {
                if (_waiting.Count == 0 || _reservedBlocks + _waiting.Peek().Blocks > _session.KvBlockCount)
                    return;
                r = _waiting.Dequeue();
            }
            r.Slot = slot;
            r.QueueTime = r.Clock.Elapsed;
            _slots[slot] = r;
            _reservedBlocks += r.Blocks;
            Interlocked.Increment(ref _running);
        }
    }

    private void Step()
    {
        int count = 0, tokens = 0, budget = _options.MaxTokensPerStep;
        foreach (var r in _slots)
        {
            if (r is null || !r.Decoding)
                continue;
            _chunks[count] = new SequenceChunk(r.Slot, r.Cached, 1);
            _chunkRequests[count++] = r;
            _passTokens[tokens++] = r.Output[^1];
        }
        foreach (var r in _slots)
        {
            if (r is null || r.Decoding || tokens >= budget)
                continue;
            int n = Math.Min(r.Prompt.Length - r.Cached, budget - tokens);
            _chunks[count] = new SequenceChunk(r.Slot, r.Cached, n);
            _chunkRequests[count++] = r;
            r.Prompt.AsSpan(r.Cached, n).CopyTo(_passTokens.AsSpan(tokens));
            tokens += n;
        }
        if (count == 0)
            return;
        _session.Forward(_chunks.AsSpan(0, count), _passTokens.AsSpan(0, tokens), _logits.AsSpan(0, count * _model.Config.VocabSize));
        int vocab = _model.Config.VocabSize;
        for (int i = 0; i < count; i++)
        {
            var r = _chunkRequests[i];
            r.Cached += _chunks[i].Count;
            if (!r.Decoding)
                continue; // a prompt chunk that is not the prompt's last: nothing to sample yet
            int token = r.Sampler.Sample(_logits.AsSpan(i * vocab, vocab));
            bool stopToken = (!r.Request.IgnoreEos && token == _tokenizer.EosId) || r.Request.StopTokenIds.Contains(token);
            bool stopString = r.Emit(token, stopToken, _metrics);
            if (stopToken || stopString)
            {
                if (stopString)
                    r.StoppedByString();
                End(r, FinishReason.Stop);
            }
            else if (r.Output.Count >= r.MaxTokens)
                End(r, FinishReason.Length);
        }
        Array.Clear(_chunkRequests, 0, count); // no finished request stays referenced until the next step
    }

    private void End(ActiveRequest r, FinishReason reason)
    {
        r.Finish(reason, _metrics);
        Free(r);
    }

    private void Free(ActiveRequest r)
    {
        _session.ReleaseSlot(r.Slot);
        _slots[r.Slot] = null;
        _reservedBlocks -= r.Blocks;
        Interlocked.Decrement(ref _running);
    }

    // The engine is being disposed: whatever runs or waits ends as cancelled.
    private void Drain()
    {
        foreach (var r in _slots)
            if (r is not null)
                End(r, FinishReason.Cancelled);
        lock (_lock)
            while (_waiting.Count > 0)
                _waiting.Dequeue().Finish(FinishReason.Cancelled, _metrics);
    }
}
