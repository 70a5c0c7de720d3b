using SliceGpt.Kernels;
using SliceGpt.Native.Cuda;
using SliceGpt.Runtime.Inference.Forward;

namespace SliceGpt.Runtime.Inference.Cuda;

/// <summary>
/// A session's work queue on a real GPU: its own stream and cuBLAS handle, and the shared kernels. Each method
/// forwards to the launcher or BLAS call of the same name on the stream; nothing here computes.
/// </summary>
internal sealed class CudaQueue<T> : IGpuQueue<T> where T : unmanaged
{
    private readonly CudaKernels _k;
    private readonly CudaStream _stream;
    private readonly BlasHandle _blas;
    private readonly CudaContext _context;

    public CudaQueue(CudaContext context, CudaKernels kernels)
    {
        _k = kernels;
        _context = context;
        _stream = context.CreateStream();
        try
        {
            _blas = new BlasHandle(context);
        }
        catch
        {
            _stream.Dispose();
            throw;
        }
    }

    public CudaStream? Stream => _stream;

    public void Embed(DeviceMemory<int> tokens, CudaMatrix<T> table, DeviceMemory<T> output, int rows,
        DeviceMemory<int> positions, CudaMatrix<T> positionTable, int positionOffset)
    {
        if (positionTable.Data.IsNull)
            _k.Embedding.Embed(_stream, tokens, table.Data, output, rows, table.Cols, table.Rows);
        else
            _k.Embedding.EmbedWithPositions(_stream, tokens, table.Data, output, rows, table.Cols, table.Rows, positions,
                positionTable.Data, positionOffset, positionTable.Rows);
    }

    public void RmsNorm(DeviceMemory<T> x, DeviceMemory<T> y, DeviceMemory<T> weight, int rows, int width, float eps, int meanDim) =>
        _k.Norm.RmsNorm(_stream, x, y, weight, rows, width, eps, meanDim);

    public void LayerNorm(DeviceMemory<T> x, DeviceMemory<T> y, DeviceMemory<T> weight, DeviceMemory<T> bias, int rows, int width, float eps) =>
        _k.Norm.LayerNorm(_stream, x, y, weight, bias, rows, width, eps);

    public void Rope(DeviceMemory<T> qkv, DeviceMemory<int> positions, DeviceMemory<float> cos, DeviceMemory<float> sin, int rows,
        int nHeads, int nKvHeads, int headDim, int rotaryDim, RopeStyle style, int maxPositions) =>
        _k.Rope.Apply(_stream, qkv, positions, cos, sin, rows, nHeads, nKvHeads, headDim, rotaryDim, style, maxPositions);

    public void KvAppend(DeviceMemory<T> qkv, DeviceMemory<int> positions, DeviceMemory<T> keyCache, DeviceMemory<T> valueCache,
        int rows, int seqLen, int nHeads, int nKvHeads, int headDim, int batch, int maxSeq) =>
        _k.KvCache.Append(_stream, qkv, positions, keyCache, valueCache, rows, seqLen, nHeads, nKvHeads, headDim, batch, maxSeq);

    public void Attend(DeviceMemory<T> qkv, DeviceMemory<T> keyCache, DeviceMemory<T> valueCache, DeviceMemory<int> positions,
        DeviceMemory<T> output, DeviceMemory<float> workspace, int rows, int seqLen, int nHeads, int nKvHeads, int headDim,
        int batch, int maxSeq, int maxPosition) =>
        _k.Attention.Attend(_stream, qkv, keyCache, valueCache, positions, output, workspace, rows, seqLen, nHeads, nKvHeads,
            headDim, batch, maxSeq, maxPosition);

    public void SiluMul(DeviceMemory<T> gateUp, DeviceMemory<T> output, int rows, int hidden) =>
        _k.Activation.SiluMul(_stream, gateUp, output, rows, hidden);

    public void Relu(DeviceMemory<T> x, long count) => _k.Activation.Relu(_stream, x, count);

    public void GeluNew(DeviceMemory<T> x, long count) => _k.Activation.GeluNew(_stream, x, count);

    public void AddBias(DeviceMemory<T> y, DeviceMemory<T> bias, int rows, int width) => _k.Elementwise.AddBias(_stream, y, bias, rows, width);

    public void AddBias(DeviceMemory<float> y, DeviceMemory<float> bias, int rows, int width) => _k.Elementwise.AddBias(_stream, y, bias, rows, width);

    public void Linear(DeviceMemory<T> x, DeviceMemory<T> weight, DeviceMemory<T> y, int rows, int inFeatures, int outFeatures, bool accumulate) =>
        _blas.Linear(_stream, x, weight, y, rows, inFeatures, outFeatures, accumulate);

    public void LinearToFloat(DeviceMemory<T> x, DeviceMemory<T> weight, DeviceMemory<float> y, int rows, int inFeatures, int outFeatures) =>
        _blas.LinearToFloat(_stream, x, weight, y, rows, inFeatures, outFeatures);

    public void MatMul(DeviceMemory<T> a, int lda, DeviceMemory<T> b, int ldb, DeviceMemory<T> c, int ldc, int m, int n, int k) =>
        _blas.GemmRowMajor(_stream, false, false, m, n, k, 1f, a, lda, b, ldb, 0f, c, ldc);

    public void MatMul(DeviceMemory<double> a, int lda, DeviceMemory<double> b, int ldb, DeviceMemory<double> c, int ldc, int m, int n, int k) =>
        _blas.GemmRowMajor(_stream, false, false, m, n, k, 1f, a, lda, b, ldb, 0f, c, ldc);

    public void NegLogLikelihood(DeviceMemory<float> logits, DeviceMemory<int> targets, DeviceMemory<double> nll, int rows, int vocabSize) =>
        _k.Loss.NegLogLikelihood(_stream, logits, targets, nll, rows, vocabSize);

    public void ArgMax(DeviceMemory<float> logits, DeviceMemory<int> result, int rows, int vocabSize) =>
        _k.Loss.ArgMax(_stream, logits, result, rows, vocabSize);

    public void Download(DeviceMemory<int> source, Span<int> destination) => _stream.CopyToHost(source, destination);

    public void Upload(ReadOnlySpan<int> source, DeviceMemory<int> destination) => _stream.CopyToDevice(source, destination);

    public void Copy(DeviceMemory<T> source, DeviceMemory<T> destination) => _stream.CopyDeviceToDevice(source, destination);

    public void Download(DeviceMemory<float> source, Span<float> destination) => _stream.CopyToHost(source, destination);

    public void Download(DeviceMemory<double> source, Span<double> destination) => _stream.CopyToHost(source, destination);

    public void Synchronize() => _stream.Synchronize();

    public IOpClock CreateClock() => new CudaOpClock(_context, _stream);

    /// <summary>Frees the cuBLAS handle and the stream (after waiting for queued work); idempotent.</summary>
    public void Dispose()
    {
        if (_stream.IsDisposed)
            return;
        try
        {
            _stream.Synchronize();
        }
        finally
        {
            _blas.Dispose();
            _stream.Dispose();
        }
    }
}
