namespace SliceGpt.Native;

/// <summary>A LAPACK or cuSOLVER factorisation (eigendecomposition, QR) returned a non-zero <c>info</c>.</summary>
public sealed class EigenSolverException : Exception
{
    /// <summary>The solver's info code: negative = bad argument, positive = no convergence.</summary>
    public int Info { get; }

    /// <summary>Creates the exception for <paramref name="routine"/>.</summary>
    public EigenSolverException(string routine, int info)
        : base($"{routine} failed with info = {info} ({(info < 0 ? $"argument {-info} was invalid" : "the algorithm did not converge")})")
    {
        Info = info;
    }
}
