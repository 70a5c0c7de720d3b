// attention.cu: causal multi-head attention over the KV cache, for prefill (many rows per sequence) and
// decode (one row per sequence) alike: softmax(q.k^T * scale) . v with keys 0..position of the row.
// Layout: qkv T[rows, stride], query head h at column h*headDim; caches T[batch, maxSeq, kvDim] (kvDim =
// nKvHeads*headDim) filled by kv_append; positions int[rows]; row r belongs to sequence r / seqLen and
// sees cache rows 0..positions[r] of that sequence. Query head h reads key/value head h / (nHeads/nKvHeads)
// (grouped-query attention). output T[rows, nHeads*headDim].
// Geometry: grid = (rows, nHeads, numSplits), ATT_WARPS warps per block. Split z covers keys
// [z*splitSize, (z+1)*splitSize); its warps take every ATT_WARPS-th key of that range. Per key a warp
// computes the dot product (lanes over head dims, shuffle sum) and folds the key into an online softmax:
// running max m, running sum l, and the lane's output dims acc[i] (dims lane + 32*i), all in fp32. The
// warps then merge through shared memory. With one split the block writes the normalized output; with
// several it writes its (acc, m, l) to partials and attention_combine merges the splits, which keeps long
// decode contexts spread over the whole GPU.
// A position outside [0, maxSeq) produces a NaN output row.
#include "common.cuh"

#define ATT_WARPS 4
#define ATT_MAX_HEAD_DIM 256
#define ATT_PER_LANE (ATT_MAX_HEAD_DIM / 32)

struct AttentionArgs
{
    devptr qkv;        // T[rows, stride]
    devptr keyCache;   // T[batch, maxSeq, kvDim]
    devptr valueCache; // T[batch, maxSeq, kvDim]
    devptr positions;  // int[rows]
    devptr output;     // T[rows, nHeads * headDim], written when numSplits == 1
    devptr partials;   // float[rows, nHeads, numSplits, headDim + 2], written when numSplits > 1
    int rows;
    int seqLen;        // rows per sequence
    int stride;        // row stride of qkv
    int nHeads;
    int nKvHeads;
    int headDim;       // <= ATT_MAX_HEAD_DIM
    int maxSeq;
    int numSplits;
    int splitSize;     // keys per split
    float scale;       // 1 / sqrt(headDim)
};
SG_ASSERT_SIZE(AttentionArgs, 88);
SG_ASSERT_OFFSET(AttentionArgs, qkv, 0);
SG_ASSERT_OFFSET(AttentionArgs, keyCache, 8);
SG_ASSERT_OFFSET(AttentionArgs, valueCache, 16);
SG_ASSERT_OFFSET(AttentionArgs, positions, 24);
SG_ASSERT_OFFSET(AttentionArgs, output, 32);
SG_ASSERT_OFFSET(AttentionArgs, partials, 40);
SG_ASSERT_OFFSET(AttentionArgs, rows, 48);
SG_ASSERT_OFFSET(AttentionArgs, seqLen, 52);
SG_ASSERT_OFFSET(AttentionArgs, stride, 56);
SG_ASSERT_OFFSET(AttentionArgs, nHeads, 60);
SG_ASSERT_OFFSET(AttentionArgs, nKvHeads, 64);
SG_ASSERT_OFFSET(AttentionArgs, headDim, 68);
SG_ASSERT_OFFSET(AttentionArgs, maxSeq, 72);
SG_ASSERT_OFFSET(AttentionArgs, numSplits, 76);
SG_ASSERT_OFFSET(AttentionArgs, splitSize, 80);
SG_ASSERT_OFFSET(AttentionArgs, scale, 84);

template <typename T> __device__ __forceinline__ void attention(const AttentionArgs a)
{
    __shared__ float q_s[ATT_MAX_HEAD_DIM];
    __shared__ float acc_s[ATT_WARPS][ATT_MAX_HEAD_DIM];
    __shared__ float m_s[ATT_WARPS];
    __shared__ float l_s[ATT_WARPS];
    const int r = blockIdx.x, h = blockIdx.y, split = blockIdx.z;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int kvDim = a.nKvHeads * a.headDim;
    const int kvHead = h / (a.nHeads / a.nKvHeads);
    const int p = ((const int*)a.positions)[r];
    const bool bad = p < 0 || p >= a.maxSeq;

    const T* q = (const T*)a.qkv + (size_t)r * a.stride + (size_t)h * a.headDim;
    for (int d = threadIdx.x; d < a.headDim; d += blockDim.x)
        q_s[d] = to_float(q[d]);
    __syncthreads();

    const size_t sequenceBase = (size_t)(r / a.seqLen) * a.maxSeq * kvDim + (size_t)kvHead * a.headDim;
    const T* keys = (const T*)a.keyCache + sequenceBase;
    const T* values = (const T*)a.valueCache + sequenceBase;
    const int visible = bad ? 0 : p + 1;
    const int begin = split * a.splitSize;
    const int end = visible < begin + a.splitSize ? visible : begin + a.splitSize;

    float m = sg_neg_inf(), l = 0.0f;
    float acc[ATT_PER_LANE];
#pragma unroll
    for (int i = 0; i < ATT_PER_LANE; i++)
        acc[i] = 0.0f;
    for (int j = begin + warp; j < end; j += ATT_WARPS)
    {
        const T* k = keys + (size_t)j * kvDim;
        float dot = 0.0f;
#pragma unroll
        for (int i = 0; i < ATT_PER_LANE; i++)
        {
            const int d = lane + 32 * i;
            if (d < a.headDim)
                dot += q_s[d] * to_float(k[d]);
        }
        const float s = warp_sum(dot) * a.scale;
        const float mNew = fmaxf(m, s);
        const float correction = expf(m - mNew);
        const float weight = expf(s - mNew);
        l = l * correction + weight;
        const T* v = values + (size_t)j * kvDim;
#pragma unroll
        for (int i = 0; i < ATT_PER_LANE; i++)
        {
            const int d = lane + 32 * i;
            if (d < a.headDim)
                acc[i] = acc[i] * correction + weight * to_float(v[d]);
        }
        m = mNew;
    }

    if (lane == 0)
    {
        m_s[warp] = m;
        l_s[warp] = l;
    }
#pragma unroll
    for (int i = 0; i < ATT_PER_LANE; i++)
    {
        const int d = lane + 32 * i;
        if (d < a.headDim)
            acc_s[warp][d] = acc[i];
    }
    __syncthreads();

    // A warp (or a whole split) that saw no key has m = -inf and contributes nothing.
    float mAll = sg_neg_inf();
    for (int w = 0; w < ATT_WARPS; w++)
        mAll = fmaxf(mAll, m_s[w]);
    float lAll = 0.0f;
    for (int w = 0; w < ATT_WARPS; w++)
        if (m_s[w] != sg_neg_inf())
            lAll += l_s[w] * expf(m_s[w] - mAll);

    if (a.numSplits == 1)
    {
        T* out = (T*)a.output + (size_t)r * a.nHeads * a.headDim + (size_t)h * a.headDim;
        for (int d = threadIdx.x; d < a.headDim; d += blockDim.x)
        {
            float o = 0.0f;
            for (int w = 0; w < ATT_WARPS; w++)
                if (m_s[w] != sg_neg_inf())
                    o += acc_s[w][d] * expf(m_s[w] - mAll);
            out[d] = from_float<T>(bad ? sg_nan() : o / lAll);
        }
        return;
    }
    float* partial = (float*)a.partials + (((size_t)r * a.nHeads + h) * a.numSplits + split) * (a.headDim + 2);
    for (int d = threadIdx.x; d < a.headDim; d += blockDim.x)
    {
        float o = 0.0f;
        for (int w = 0; w < ATT_WARPS; w++)
            if (m_s[w] != sg_neg_inf())
                o += acc_s[w][d] * expf(m_s[w] - mAll);
        partial[d] = o;
    }
    if (threadIdx.x == 0)
    {
        partial[a.headDim] = bad ? sg_nan() : mAll;
        partial[a.headDim + 1] = lAll;
    }
}

extern "C" __global__ void attention_f32(const AttentionArgs a) { attention<float>(a); }
extern "C" __global__ void attention_f16(const AttentionArgs a) { attention<half_t>(a); }
extern "C" __global__ void attention_bf16(const AttentionArgs a) { attention<bf16_t>(a); }

// attention_combine: merges the numSplits partial results of each (row, head) written by attention.
// Geometry: grid = (rows, nHeads), one block per (row, head); the threads stride over headDim. Every thread
// reads the splits' (m, l), rescales them to the common maximum and writes o / sum(l) for its dims.
struct AttentionCombineArgs
{
    devptr partials; // float[rows, nHeads, numSplits, headDim + 2]: acc[headDim], m, l
    devptr output;   // T[rows, nHeads * headDim]
    int rows;
    int nHeads;
    int headDim;
    int numSplits;
};
SG_ASSERT_SIZE(AttentionCombineArgs, 32);
SG_ASSERT_OFFSET(AttentionCombineArgs, partials, 0);
SG_ASSERT_OFFSET(AttentionCombineArgs, output, 8);
SG_ASSERT_OFFSET(AttentionCombineArgs, rows, 16);
SG_ASSERT_OFFSET(AttentionCombineArgs, nHeads, 20);
SG_ASSERT_OFFSET(AttentionCombineArgs, headDim, 24);
SG_ASSERT_OFFSET(AttentionCombineArgs, numSplits, 28);

template <typename T> __device__ __forceinline__ void attention_combine(const AttentionCombineArgs a)
{
    const int r = blockIdx.x, h = blockIdx.y;
    const int width = a.headDim + 2;
    const float* partial = (const float*)a.partials + ((size_t)r * a.nHeads + h) * a.numSplits * width;
    // A NaN m marks a bad position (see attention); fmaxf would drop it, so it is carried explicitly.
    bool bad = false;
    float mAll = sg_neg_inf();
    for (int z = 0; z < a.numSplits; z++)
    {
        const float m = partial[z * width + a.headDim];
        bad = bad || m != m;
        mAll = fmaxf(mAll, m);
    }
    float lAll = 0.0f;
    for (int z = 0; z < a.numSplits; z++)
    {
        const float m = partial[z * width + a.headDim];
        if (m != sg_neg_inf())
            lAll += partial[z * width + a.headDim + 1] * expf(m - mAll);
    }
    T* out = (T*)a.output + (size_t)r * a.nHeads * a.headDim + (size_t)h * a.headDim;
    for (int d = threadIdx.x; d < a.headDim; d += blockDim.x)
    {
        float o = 0.0f;
        for (int z = 0; z < a.numSplits; z++)
        {
            const float m = partial[z * width + a.headDim];
            if (m != sg_neg_inf())
                o += partial[z * width + d] * expf(m - mAll);
        }
        out[d] = from_float<T>(bad ? sg_nan() : o / lAll);
    }
}

extern "C" __global__ void attention_combine_f32(const AttentionCombineArgs a) { attention_combine<float>(a); }
extern "C" __global__ void attention_combine_f16(const AttentionCombineArgs a) { attention_combine<half_t>(a); }
extern "C" __global__ void attention_combine_bf16(const AttentionCombineArgs a) { attention_combine<bf16_t>(a); }
