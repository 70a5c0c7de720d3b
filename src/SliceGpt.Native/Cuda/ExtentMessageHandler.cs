using System.Runtime.CompilerServices;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// The message of <see cref="DeviceMemory{T}.EnsureLength(long, ref ExtentMessageHandler{T})"/>, formatted only
/// when the check fails. Launchers and BLAS calls describe their operands with interpolated strings
/// ($"{name} ({rows}×{cols})"); built eagerly, those would allocate on every launch, and steady-state decode
/// must allocate no managed memory.
/// </summary>
[InterpolatedStringHandler]
public ref struct ExtentMessageHandler<T> where T : unmanaged
{
    private DefaultInterpolatedStringHandler _inner;

    /// <summary>Starts formatting only when <paramref name="memory"/> is null or shorter than <paramref name="required"/>.</summary>
    public ExtentMessageHandler(int literalLength, int formattedCount, DeviceMemory<T> memory, long required, out bool shouldAppend)
    {
        shouldAppend = memory.IsNull || memory.Length < required;
        _inner = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    /// <summary>Appends literal text.</summary>
    public void AppendLiteral(string value) => _inner.AppendLiteral(value);

    /// <summary>Appends a formatted value.</summary>
    public void AppendFormatted<TValue>(TValue value) => _inner.AppendFormatted(value);

    /// <summary>Appends a string.</summary>
    public void AppendFormatted(string? value) => _inner.AppendFormatted(value);

    /// <summary>The formatted text (empty when the check passed and nothing was formatted).</summary>
    public string ToStringAndClear() => _inner.ToStringAndClear();
}
