using SliceGpt.Kernels;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Cpu;
using SliceGpt.Runtime.Models;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>
/// Everything a <see cref="CudaSession{T}"/> computes in, allocated once as one arena (llama2.c's
/// malloc_run_state): activations for maxBatch·maxSeqLen tokens, the KV cache, the logit chunk, the loss
/// buffers, the RoPE tables and the attention split workspace. Shapes are in the field comments.
/// </summary>
internal sealed class SessionBuffers<T> : IDisposable where T : unmanaged
{
    /// <summary>Logits are produced this many rows at a time, bounding their buffer to LogitChunk · vocab floats.</summary>
    public const int LogitChunk = 256;

    private readonly DeviceArena _arena;

    public readonly DeviceMemory<T> X;             // (maxTokens, maxWidth) residual stream
    public readonly DeviceMemory<T> R;             // (maxTokens, maxWidth) second residual buffer
    public readonly DeviceMemory<T> H;             // (maxTokens, maxWidth) norm output
    public readonly DeviceMemory<T> Qkv;           // (maxTokens, qDim + 2·kvDim)
    public readonly DeviceMemory<T> Att;           // (maxTokens, qDim)
    public readonly DeviceMemory<T> Up;            // (maxTokens, upDim); ReLU/gelu_new act in place here
    public readonly DeviceMemory<T> Act;           // (maxTokens, hiddenDim) silu(gate)·up; null for other MLPs
    public readonly DeviceMemory<float> Logits;    // (LogitRows, vocab)
    public readonly DeviceMemory<int> Tokens;      // (maxTokens) ids of the current forward
    public readonly DeviceMemory<int> Positions;   // (maxTokens) position of each row's token
    public readonly DeviceMemory<double> Nll;      // (maxTokens) −log p(next token) per row
    public readonly DeviceMemory<double> RowSums;  // (maxBatch) summed NLL per sequence
    public readonly DeviceMemory<double> Ones;     // (maxSeqLen) all 1: the row sums are Nll·ones in one DGEMM
    public readonly DeviceMemory<float> Workspace; // (maxBatch, nHeads, splits, headDim + 2) attention splits; may be null
    public readonly DeviceMemory<float> Cos;       // (maxSeqLen, rotaryDim / 2); null without RoPE
    public readonly DeviceMemory<float> Sin;       // (maxSeqLen, rotaryDim / 2); null without RoPE
    public readonly DeviceMemory<T>[] KeyCache;    // (cachedLayers) × (blocks, blockSize, kvDim)
    public readonly DeviceMemory<T>[] ValueCache;  // (cachedLayers) × (blocks, blockSize, kvDim)

    public SessionBuffers(IGpu device, ModelConfig c, int maxWidth, SessionOptions options, int cachedLayers)
    {
        int maxBatch = options.MaxBatch, maxSeqLen = options.MaxSeqLen;
        long maxTokens = options.TokensPerPass;
        long cacheLength = (long)options.Blocks * options.BlockSize * c.KvDim;
        LogitRows = (int)Math.Min(maxTokens, LogitChunk);
        int half = c.RotaryDim / 2;
        bool rope = c.Rope != RopeLayout.None;
        var layout = new ArenaLayout();
        var x = layout.Reserve<T>(maxTokens * maxWidth);
        var r = layout.Reserve<T>(maxTokens * maxWidth);
        var h = layout.Reserve<T>(maxTokens * maxWidth);
        var qkv = layout.Reserve<T>(maxTokens * (c.QDim + 2 * c.KvDim));
        var att = layout.Reserve<T>(maxTokens * c.QDim);
        var up = layout.Reserve<T>(maxTokens * c.UpDim);
        var act = layout.Reserve<T>(c.Activation == MlpActivation.SiluGated ? maxTokens * c.HiddenDim : 0);
        var logits = layout.Reserve<float>((long)LogitRows * c.VocabSize);
        var tokens = layout.Reserve<int>(maxTokens);
        var positions = layout.Reserve<int>(maxTokens);
        var nll = layout.Reserve<double>(maxTokens);
        var rowSums = layout.Reserve<double>(maxBatch);
        var ones = layout.Reserve<double>(maxSeqLen);
        var workspace = layout.Reserve<float>(WorkspaceLength(device.Info, c, maxBatch, maxSeqLen));
        var cos = layout.Reserve<float>(rope ? (long)maxSeqLen * half : 0);
        var sin = layout.Reserve<float>(rope ? (long)maxSeqLen * half : 0);
        var keys = new ArenaSlot<T>[cachedLayers];
        var values = new ArenaSlot<T>[cachedLayers];
        for (int l = 0; l < cachedLayers; l++)
        {
            keys[l] = layout.Reserve<T>(cacheLength);
            values[l] = layout.Reserve<T>(cacheLength);
        }

        _arena = DeviceArena.Allocate(device, layout, $"a session of {maxBatch}×{maxSeqLen} tokens");
        try
        {
            (X, R, H, Qkv, Att, Up, Act) = (_arena.View(x), _arena.View(r), _arena.View(h), _arena.View(qkv), _arena.View(att), _arena.View(up), _arena.View(act));
            (Logits, Tokens, Positions, Nll, RowSums, Ones) = (_arena.View(logits), _arena.View(tokens), _arena.View(positions), _arena.View(nll), _arena.View(rowSums), _arena.View(ones));
            (Workspace, Cos, Sin) = (_arena.View(workspace), _arena.View(cos), _arena.View(sin));
            KeyCache = keys.Select(s => _arena.View(s)).ToArray();
            ValueCache = values.Select(s => _arena.View(s)).ToArray();
            _arena.Upload(ones, Enumerable.Repeat(1.0, maxSeqLen).ToArray());
            if (rope)
            {
                var cosHost = new float[maxSeqLen * half];
                var sinHost = new float[maxSeqLen * half];
                RopeKernels.BuildTables(RopeTable<double>.InverseFrequencies(c), maxSeqLen, cosHost, sinHost);
                _arena.Upload(cos, cosHost);
                _arena.Upload(sin, sinHost);
            }
        }
        catch
        {
            _arena.Dispose();
            throw;
        }
    }

    /// <summary>Rows of <see cref="Logits"/>.</summary>
    public int LogitRows { get; }

    /// <summary>Device bytes held.</summary>
    public long Bytes => _arena.Bytes;

    /// <summary>Frees everything; idempotent.</summary>
    public void Dispose() => _arena.Dispose();

    // Decode has one row per sequence: too few (row, head) blocks to fill the GPU, so the attention kernel splits
    // long key ranges (AttentionKernels.Attend). Room for the splits it would choose for one row at the longest
    // context (keys in runs of 256, about two blocks per SM) for every row of the batch.
    private static long WorkspaceLength(CudaDeviceInfo device, ModelConfig c, int maxBatch, int maxSeqLen)
    {
        int byKeys = (maxSeqLen + 255) / 256;
        int byOccupancy = (2 * Math.Max(1, device.MultiprocessorCount) + c.NHeads - 1) / c.NHeads;
        int splits = Math.Min(byKeys, byOccupancy);
        return splits < 2 ? 0 : AttentionKernels.WorkspaceLength(maxBatch, c.NHeads, c.HeadDim, splits);
    }
}
