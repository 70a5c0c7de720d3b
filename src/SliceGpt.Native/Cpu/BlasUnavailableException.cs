namespace SliceGpt.Native.Cpu;

/// <summary>OpenBLAS or LAPACKE could not be loaded; the message lists every name and path tried.</summary>
public sealed class BlasUnavailableException : Exception
{
    /// <summary>The Debian packages that provide the missing libraries.</summary>
    public const string RequiredPackages = "libopenblas0-pthread liblapacke";

    /// <summary>Every "path: reason" that was attempted.</summary>
    public IReadOnlyList<string> Tried { get; }

    /// <summary>Creates the exception for <paramref name="library"/>.</summary>
    public BlasUnavailableException(string library, IReadOnlyList<string> tried)
        : base($"could not load {library}; install it with `apt-get install {RequiredPackages}`. Tried: {string.Join("; ", tried)}")
    {
        Tried = tried;
    }
}
