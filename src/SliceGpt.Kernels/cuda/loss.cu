// loss.cu: per-row reductions over logits T[rows, vocabSize] for evaluation and greedy decoding.
// nll: nll[r] = -log softmax(logits[r])[targets[r]] = max + log(sum_j exp(x_j - max)) - x_target, with the
//   exponentials and their sum in fp64 (as the CPU reference), output double[rows]. A target outside
//   [0, vocabSize) gives NaN.
// argmax: result[r] = the index of the largest logit, the smallest such index on ties; NaN never wins.
// Geometry: grid.x = rows, one block per row; the threads stride over the vocabulary, then a block
// reduction combines them (block_max/block_sum for nll, a (value, index) shuffle reduction for argmax).
#include "common.cuh"

struct NllArgs
{
    devptr logits;  // T[rows, vocabSize]
    devptr targets; // int[rows]
    devptr nll;     // double[rows]
    int rows;
    int vocabSize;
};
SG_ASSERT_SIZE(NllArgs, 32);
SG_ASSERT_OFFSET(NllArgs, logits, 0);
SG_ASSERT_OFFSET(NllArgs, targets, 8);
SG_ASSERT_OFFSET(NllArgs, nll, 16);
SG_ASSERT_OFFSET(NllArgs, rows, 24);
SG_ASSERT_OFFSET(NllArgs, vocabSize, 28);

struct ArgmaxArgs
{
    devptr logits; // T[rows, vocabSize]
    devptr result; // int[rows]
    int rows;
    int vocabSize;
};
SG_ASSERT_SIZE(ArgmaxArgs, 24);
SG_ASSERT_OFFSET(ArgmaxArgs, logits, 0);
SG_ASSERT_OFFSET(ArgmaxArgs, result, 8);
SG_ASSERT_OFFSET(ArgmaxArgs, rows, 16);
SG_ASSERT_OFFSET(ArgmaxArgs, vocabSize, 20);

template <typename T> __device__ __forceinline__ void nll(const NllArgs a)
{
    __shared__ float maxScratch[32];
    __shared__ double sumScratch[32];
    const int r = blockIdx.x;
    if (r >= a.rows)
        return;
    const T* x = (const T*)a.logits + (size_t)r * a.vocabSize;
    float localMax = sg_neg_inf();
    for (int j = threadIdx.x; j < a.vocabSize; j += blockDim.x)
        localMax = fmaxf(localMax, to_float(x[j]));
    const double rowMax = (double)block_max(localMax, maxScratch);
    double sum = 0.0;
    for (int j = threadIdx.x; j < a.vocabSize; j += blockDim.x)
        sum += exp((double)to_float(x[j]) - rowMax);
    sum = block_sum(sum, sumScratch);
    if (threadIdx.x == 0)
    {
        const int target = ((const int*)a.targets)[r];
        const bool bad = target < 0 || target >= a.vocabSize;
        ((double*)a.nll)[r] = bad ? (double)sg_nan() : rowMax + log(sum) - (double)to_float(x[bad ? 0 : target]);
    }
}

// The better of two candidates: the larger value, the smaller index on a tie. A NaN value never wins.
__device__ __forceinline__ void argmax_merge(float& value, int& index, float otherValue, int otherIndex)
{
    if (otherValue > value || (otherValue == value && otherIndex < index))
    {
        value = otherValue;
        index = otherIndex;
    }
}

template <typename T> __device__ __forceinline__ void argmax(const ArgmaxArgs a)
{
    __shared__ float values[32];
    __shared__ int indices[32];
    const int r = blockIdx.x;
    if (r >= a.rows)
        return;
    const T* x = (const T*)a.logits + (size_t)r * a.vocabSize;
    float best = sg_neg_inf();
    int bestIndex = 0x7fffffff;
    for (int j = threadIdx.x; j < a.vocabSize; j += blockDim.x)
        argmax_merge(best, bestIndex, to_float(x[j]), j);
    for (int offset = 16; offset > 0; offset >>= 1)
        argmax_merge(best, bestIndex, __shfl_xor_sync(0xffffffffu, best, offset),
            __shfl_xor_sync(0xffffffffu, bestIndex, offset));
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0)
    {
        values[warp] = best;
        indices[warp] = bestIndex;
    }
    __syncthreads();
    if (threadIdx.x == 0)
    {
        for (int w = 1; w < (int)(blockDim.x >> 5); w++)
            argmax_merge(best, bestIndex, values[w], indices[w]);
        // Every logit NaN: fall back to index 0, as the CPU sampler does.
        ((int*)a.result)[r] = bestIndex == 0x7fffffff ? 0 : bestIndex;
    }
}

extern "C" __global__ void nll_f32(const NllArgs a) { nll<float>(a); }
extern "C" __global__ void nll_f16(const NllArgs a) { nll<half_t>(a); }
extern "C" __global__ void nll_bf16(const NllArgs a) { nll<bf16_t>(a); }
extern "C" __global__ void argmax_f32(const ArgmaxArgs a) { argmax<float>(a); }
extern "C" __global__ void argmax_f16(const ArgmaxArgs a) { argmax<half_t>(a); }
extern "C" __global__ void argmax_bf16(const ArgmaxArgs a) { argmax<bf16_t>(a); }
