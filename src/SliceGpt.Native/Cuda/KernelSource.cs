using System.Security.Cryptography;
using System.Text;

namespace SliceGpt.Native.Cuda;

/// <summary>A header a kernel source includes by name (NVRTC has no file system access to ours).</summary>
/// <param name="IncludeName">The name in the #include, e.g. "common.cuh".</param>
/// <param name="Text">The header's source.</param>
public sealed record KernelHeader(string IncludeName, string Text);

/// <summary>One CUDA C++ translation unit to compile at run time: its name, text and the headers it includes.</summary>
public sealed class KernelSource
{
    /// <summary>Creates a source; <paramref name="name"/> appears in compiler messages (e.g. "norm.cu").</summary>
    public KernelSource(string name, string text, IReadOnlyList<KernelHeader>? headers = null)
    {
        Name = name;
        Text = text;
        Headers = headers ?? [];
        Hash = ComputeHash(text, Headers);
    }

    /// <summary>The program name NVRTC reports in its log.</summary>
    public string Name { get; }

    /// <summary>The source text.</summary>
    public string Text { get; }

    /// <summary>Headers available to #include.</summary>
    public IReadOnlyList<KernelHeader> Headers { get; }

    /// <summary>SHA-256 (hex) of the text and every header: the source's identity in the kernel caches.</summary>
    public string Hash { get; }

    private static string ComputeHash(string text, IReadOnlyList<KernelHeader> headers)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string part)
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            sha.AppendData(BitConverter.GetBytes(bytes.Length));
            sha.AppendData(bytes);
        }
        Add(text);
        foreach (var header in headers)
        {
            Add(header.IncludeName);
            Add(header.Text);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

/// <summary>What NVRTC produced for one source: a CUBIN for a real GPU architecture, or PTX the driver JITs.</summary>
/// <param name="Image">The CUBIN bytes, or the PTX text (NUL-terminated, as cuModuleLoadData expects).</param>
/// <param name="Target">"sm_90" for a CUBIN, "compute_90" for PTX.</param>
/// <param name="Log">NVRTC's log (warnings), possibly empty.</param>
public sealed record KernelImage(byte[] Image, string Target, string Log)
{
    /// <summary>True for a CUBIN, false for PTX.</summary>
    public bool IsCubin => Target.StartsWith("sm_", StringComparison.Ordinal);
}
