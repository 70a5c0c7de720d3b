namespace SliceGpt.Native.Cpu;

/// <summary>
/// OpenBLAS or LAPACKE could not be loaded; the message names the OS packages that provide them, the environment variable
/// that points at another build, and every name and path tried.
/// </summary>
public sealed class BlasUnavailableException : Exception
{
    /// <summary>The Debian packages that provide the missing libraries.</summary>
    public const string RequiredPackages = "libopenblas0-pthread liblapacke";

    /// <summary>Every "path: reason" that was attempted.</summary>
    public IReadOnlyList<string> Tried { get; }

    /// <summary>Creates the exception for <paramref name="library"/>, which <paramref name="variable"/> can point at.</summary>
    public BlasUnavailableException(string library, IReadOnlyList<string> tried, string variable)
        : base($"could not load {library}; install it with `apt-get install {RequiredPackages}` (Debian/Ubuntu; other systems: "
            + $"their OpenBLAS and LAPACKE packages), or set {variable} to the path of another build. Tried: {string.Join("; ", tried)}")
    {
        Tried = tried;
    }
}
