// kvcache.cu: append the keys and values of freshly projected tokens to one layer's KV cache.
// Layout: qkv T[rows, stride] holds [q | k | v] per row, k at column qDim and v at qDim + kvDim;
// positions int[rows]; caches T[batch, maxSeq, kvDim]. Row r belongs to sequence r / seqLen and is stored
// at cache row (r / seqLen) * maxSeq + positions[r].
// Geometry: grid.x = rows, one block per token; the threads stride over kvDim and copy one key element
// and one value element per step. A position outside [0, maxSeq) is skipped: there is no row to write,
// and the attention kernel turns the same position into NaN output.
#include "common.cuh"

struct KvAppendArgs
{
    devptr qkv;        // T[rows, stride]
    devptr positions;  // int[rows]
    devptr keyCache;   // T[batch, maxSeq, kvDim]
    devptr valueCache; // T[batch, maxSeq, kvDim]
    int rows;
    int stride;        // qDim + 2 * kvDim
    int qDim;
    int kvDim;
    int seqLen;        // rows per sequence
    int maxSeq;
};
SG_ASSERT_SIZE(KvAppendArgs, 56);
SG_ASSERT_OFFSET(KvAppendArgs, qkv, 0);
SG_ASSERT_OFFSET(KvAppendArgs, positions, 8);
SG_ASSERT_OFFSET(KvAppendArgs, keyCache, 16);
SG_ASSERT_OFFSET(KvAppendArgs, valueCache, 24);
SG_ASSERT_OFFSET(KvAppendArgs, rows, 32);
SG_ASSERT_OFFSET(KvAppendArgs, stride, 36);
SG_ASSERT_OFFSET(KvAppendArgs, qDim, 40);
SG_ASSERT_OFFSET(KvAppendArgs, kvDim, 44);
SG_ASSERT_OFFSET(KvAppendArgs, seqLen, 48);
SG_ASSERT_OFFSET(KvAppendArgs, maxSeq, 52);

template <typename T> __device__ __forceinline__ void kv_append(const KvAppendArgs a)
{
    const int r = blockIdx.x;
    if (r >= a.rows)
        return;
    const int p = ((const int*)a.positions)[r];
    if (p < 0 || p >= a.maxSeq)
        return;
    const size_t cacheRow = (size_t)(r / a.seqLen) * a.maxSeq + p;
    const T* k = (const T*)a.qkv + (size_t)r * a.stride + a.qDim;
    const T* v = k + a.kvDim;
    T* kc = (T*)a.keyCache + cacheRow * a.kvDim;
    T* vc = (T*)a.valueCache + cacheRow * a.kvDim;
    for (int j = threadIdx.x; j < a.kvDim; j += blockDim.x)
    {
        kc[j] = k[j];
        vc[j] = v[j];
    }
}

extern "C" __global__ void kv_append_f32(const KvAppendArgs a) { kv_append<float>(a); }
extern "C" __global__ void kv_append_f16(const KvAppendArgs a) { kv_append<half_t>(a); }
extern "C" __global__ void kv_append_bf16(const KvAppendArgs a) { kv_append<bf16_t>(a); }
