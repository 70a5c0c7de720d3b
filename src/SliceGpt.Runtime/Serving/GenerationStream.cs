using System.Runtime.CompilerServices;

namespace SliceGpt.Runtime.Serving;

/// <summary>
/// The updates of one admitted request, in order; the last one carries the finish reason and the usage. Enumerate it
/// once. Cancelling the token given to <see cref="InferenceEngine.Submit"/>, or the one given to the enumeration, cancels
/// the request: it stops at the engine's next step and its KV blocks are freed.
/// </summary>
public sealed class GenerationStream : IAsyncEnumerable<GenerationUpdate>
{
    private readonly ActiveRequest _request;

    internal GenerationStream(ActiveRequest request, string backend)
    {
        _request = request;
        Backend = backend;
    }

    /// <summary>Tokens of the prompt as the engine runs it.</summary>
    public int PromptTokens => _request.Prompt.Length;

    /// <summary>The backend computing the request.</summary>
    public string Backend { get; }

    /// <summary>Asks the engine to stop the request at its next step (finish reason <see cref="FinishReason.Cancelled"/>).</summary>
    public void Cancel() => _request.Cancel();

    /// <inheritdoc/>
    public async IAsyncEnumerator<GenerationUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        using var registration = cancellationToken.Register(static r => ((ActiveRequest)r!).Cancel(), _request);
        await foreach (var update in ReadAsync(cancellationToken).ConfigureAwait(false))
            yield return update;
    }

    /// <summary>Reads the whole completion.</summary>
    public async Task<GenerationResult> ToResultAsync(CancellationToken cancellationToken = default)
    {
        var text = new System.Text.StringBuilder();
        var tokens = new List<int>();
        await foreach (var update in this.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            text.Append(update.Text);
            tokens.AddRange(update.TokenIds);
            if (update.FinishReason is { } reason)
                return new GenerationResult(text.ToString(), tokens, reason, update.Usage!, Backend);
        }
        throw new InvalidOperationException("the stream ended without a finish reason");
    }

    private async IAsyncEnumerable<GenerationUpdate> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = _request.Updates;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            while (reader.TryRead(out var update))
                yield return update;
    }
}
