namespace SliceGpt.Cli;

/// <summary>Reports progress on the calling thread, in order (<see cref="Progress{T}"/> posts asynchronously).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
