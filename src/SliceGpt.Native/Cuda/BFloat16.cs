using System.Runtime.InteropServices;

namespace SliceGpt.Native.Cuda;

/// <summary>
/// bfloat16 storage (the upper 16 bits of an IEEE float), for buffers the GPU reads and writes as bf16.
/// .NET has no bfloat16 type; this one only stores and converts. Conversion from float rounds to nearest,
/// ties to even, exactly as the kernels' from_float&lt;bf16_t&gt; does, and keeps NaN a NaN.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct BFloat16 : IEquatable<BFloat16>
{
    /// <summary>Wraps raw bits.</summary>
    public BFloat16(ushort bits) => Bits = bits;

    /// <summary>The raw bits.</summary>
    public ushort Bits { get; }

    /// <summary>Rounds <paramref name="value"/> to the nearest bfloat16 (ties to even).</summary>
    public static explicit operator BFloat16(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffffu) > 0x7f800000u)
            return new BFloat16((ushort)((u >> 16) | 0x40u));
        return new BFloat16((ushort)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16));
    }

    /// <summary>The exact float value.</summary>
    public static explicit operator float(BFloat16 value) => BitConverter.UInt32BitsToSingle((uint)value.Bits << 16);

    /// <inheritdoc/>
    public bool Equals(BFloat16 other) => Bits == other.Bits;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Bits;

    /// <inheritdoc/>
    public override string ToString() => ((float)this).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Bitwise equality.</summary>
    public static bool operator ==(BFloat16 left, BFloat16 right) => left.Equals(right);

    /// <summary>Bitwise inequality.</summary>
    public static bool operator !=(BFloat16 left, BFloat16 right) => !left.Equals(right);
}
