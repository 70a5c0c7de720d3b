// norm.cu: RMSNorm and LayerNorm over the rows of row-major activations x T[rows, width] -> y T[rows, width].
// Geometry: grid.x = rows, one block per row; blockDim.x is a multiple of 32 (at most 1024) and the threads
// stride over the row's columns. Each thread accumulates its columns in fp32, block_sum combines them, then
// each thread normalizes and writes its columns. x may alias y: every column is read before the last
// barrier and written by the thread that read it.
// RMSNorm: y = x / sqrt(sum(x^2) / meanDim + eps) * weight. meanDim may exceed width: a sliced model keeps
// the original hidden size as divisor, the sliced coordinates counting as zeros. weight is optional.
// LayerNorm: y = (x - mean) / sqrt(var + eps) * weight + bias with the biased variance (as PyTorch);
// weight and bias are optional.
#include "common.cuh"

struct RmsNormArgs
{
    devptr x;      // T[rows, width]
    devptr y;      // T[rows, width]
    devptr weight; // T[width] or 0
    int rows;
    int width;
    int meanDim;   // divisor of the sum of squares, >= width
    float eps;
};
SG_ASSERT_SIZE(RmsNormArgs, 40);
SG_ASSERT_OFFSET(RmsNormArgs, x, 0);
SG_ASSERT_OFFSET(RmsNormArgs, y, 8);
SG_ASSERT_OFFSET(RmsNormArgs, weight, 16);
SG_ASSERT_OFFSET(RmsNormArgs, rows, 24);
SG_ASSERT_OFFSET(RmsNormArgs, width, 28);
SG_ASSERT_OFFSET(RmsNormArgs, meanDim, 32);
SG_ASSERT_OFFSET(RmsNormArgs, eps, 36);

struct LayerNormArgs
{
    devptr x;      // T[rows, width]
    devptr y;      // T[rows, width]
    devptr weight; // T[width] or 0
    devptr bias;   // T[width] or 0
    int rows;
    int width;
    float eps;
};
SG_ASSERT_SIZE(LayerNormArgs, 48);
SG_ASSERT_OFFSET(LayerNormArgs, x, 0);
SG_ASSERT_OFFSET(LayerNormArgs, y, 8);
SG_ASSERT_OFFSET(LayerNormArgs, weight, 16);
SG_ASSERT_OFFSET(LayerNormArgs, bias, 24);
SG_ASSERT_OFFSET(LayerNormArgs, rows, 32);
SG_ASSERT_OFFSET(LayerNormArgs, width, 36);
SG_ASSERT_OFFSET(LayerNormArgs, eps, 40);

template <typename T> __device__ __forceinline__ void rmsnorm(const RmsNormArgs a)
{
    __shared__ float scratch[32];
    const int r = blockIdx.x;
    if (r >= a.rows)
        return;
    const T* x = (const T*)a.x + (size_t)r * a.width;
    T* y = (T*)a.y + (size_t)r * a.width;
    const T* w = (const T*)a.weight;
    float sumSquares = 0.0f;
    for (int j = threadIdx.x; j < a.width; j += blockDim.x)
    {
        const float v = to_float(x[j]);
        sumSquares += v * v;
    }
    sumSquares = block_sum(sumSquares, scratch);
    const float scale = 1.0f / sqrtf(sumSquares / (float)a.meanDim + a.eps);
    for (int j = threadIdx.x; j < a.width; j += blockDim.x)
    {
        float v = to_float(x[j]) * scale;
        if (w != 0)
            v = v * to_float(w[j]);
        y[j] = from_float<T>(v);
    }
}

template <typename T> __device__ __forceinline__ void layernorm(const LayerNormArgs a)
{
    __shared__ float scratch[32];
    const int r = blockIdx.x;
    if (r >= a.rows)
        return;
    const T* x = (const T*)a.x + (size_t)r * a.width;
    T* y = (T*)a.y + (size_t)r * a.width;
    const T* w = (const T*)a.weight;
    const T* b = (const T*)a.bias;
    const float n = (float)a.width;
    float sum = 0.0f;
    for (int j = threadIdx.x; j < a.width; j += blockDim.x)
        sum += to_float(x[j]);
    const float mean = block_sum(sum, scratch) / n;
    float sumSquares = 0.0f;
    for (int j = threadIdx.x; j < a.width; j += blockDim.x)
    {
        const float d = to_float(x[j]) - mean;
        sumSquares += d * d;
    }
    const float scale = 1.0f / sqrtf(block_sum(sumSquares, scratch) / n + a.eps);
    for (int j = threadIdx.x; j < a.width; j += blockDim.x)
    {
        float v = (to_float(x[j]) - mean) * scale;
        if (w != 0)
            v = v * to_float(w[j]);
        if (b != 0)
            v = v + to_float(b[j]);
        y[j] = from_float<T>(v);
    }
}

extern "C" __global__ void rmsnorm_f32(const RmsNormArgs a) { rmsnorm<float>(a); }
extern "C" __global__ void rmsnorm_f16(const RmsNormArgs a) { rmsnorm<half_t>(a); }
extern "C" __global__ void rmsnorm_bf16(const RmsNormArgs a) { rmsnorm<bf16_t>(a); }
extern "C" __global__ void layernorm_f32(const LayerNormArgs a) { layernorm<float>(a); }
extern "C" __global__ void layernorm_f16(const LayerNormArgs a) { layernorm<half_t>(a); }
extern "C" __global__ void layernorm_bf16(const LayerNormArgs a) { layernorm<bf16_t>(a); }
