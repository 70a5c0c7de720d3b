using System.Runtime.CompilerServices;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// A typed view of device memory: an address and an element count, with no ownership. Valid while the
/// <see cref="DeviceBuffer{T}"/> it came from is alive; kernel launchers and BLAS calls take these so they
/// can check every extent in C# before anything reaches the GPU. <c>default</c> is the null view, which
/// optional arguments (a missing bias, say) use.
/// </summary>
public readonly struct DeviceMemory<T> where T : unmanaged
{
    /// <summary>Wraps <paramref name="length"/> elements at <paramref name="address"/>.</summary>
    public DeviceMemory(ulong address, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Address = address;
        Length = length;
    }

    /// <summary>The device address of the first element (0 for the null view).</summary>
    public ulong Address { get; }

    /// <summary>The number of elements.</summary>
    public long Length { get; }

    /// <summary>The size in bytes.</summary>
    public long SizeInBytes => Length * Unsafe.SizeOf<T>();

    /// <summary>True for the null view.</summary>
    public bool IsNull => Address == 0;

    /// <summary>The elements [start, start + length).</summary>
    public DeviceMemory<T> Slice(long start, long length)
    {
        if (start < 0 || length < 0 || start > Length - length)
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start}+{length}) is outside the {Length} elements of this view");
        return new DeviceMemory<T>(Address + (ulong)(start * Unsafe.SizeOf<T>()), length);
    }

    /// <summary>The elements from <paramref name="start"/> to the end.</summary>
    public DeviceMemory<T> Slice(long start) => Slice(start, Length - start);

    /// <summary>The same bytes seen as elements of <typeparamref name="TOther"/> (e.g. <see cref="Half"/> as ushort).</summary>
    public DeviceMemory<TOther> Cast<TOther>() where TOther : unmanaged
    {
        if (SizeInBytes % Unsafe.SizeOf<TOther>() != 0)
            throw new InvalidOperationException($"{SizeInBytes} bytes are not a whole number of {typeof(TOther).Name}");
        return new DeviceMemory<TOther>(Address, SizeInBytes / Unsafe.SizeOf<TOther>());
    }

    /// <summary>Throws unless the view holds at least <paramref name="required"/> elements.</summary>
    /// <param name="required">Elements the operation touches.</param>
    /// <param name="what">The argument's name and shape, for the message (e.g. "x [rows, width]").</param>
    public void EnsureLength(long required, string what)
    {
        if (IsNull)
            throw new ArgumentException($"{what}: needs {required} elements but the device memory is null");
        if (Length < required)
            throw new ArgumentException($"{what}: needs {required} elements but the device memory holds {Length}");
    }

    /// <summary>
    /// As <see cref="EnsureLength(long, string)"/>, for a description built by interpolation: the compiler picks
    /// this overload for non-constant interpolated strings, and the text is formatted only when the check fails,
    /// so a passing check allocates nothing.
    /// </summary>
    public void EnsureLength(long required, [InterpolatedStringHandlerArgument("", nameof(required))] ref ExtentMessageHandler<T> what)
    {
        if (IsNull || Length < required)
            EnsureLength(required, what.ToStringAndClear());
    }

    /// <inheritdoc/>
    public override string ToString() => $"DeviceMemory<{typeof(T).Name}>(0x{Address:x}, {Length})";
}
