// common.cuh: what every SliceGpt kernel shares.
// - devptr: a device address as it sits in an argument struct (a ulong in the C# twin), so every struct
//   has one layout whatever the storage type.
// - Storage types float, half_t (IEEE binary16 bits) and bf16_t (bfloat16 bits). All arithmetic is fp32:
//   load with to_float, store with from_float<T>. half_t and bf16_t are distinct structs so templates
//   can tell them apart; no cuda_fp16.h/cuda_bf16.h, because the offline clang check has no CUDA toolkit.
// - Warp and block reductions for blocks whose size is a multiple of 32 (at most 1024 threads); every
//   thread of the block receives the result.
// - SG_ASSERT_OFFSET pins an argument struct's field offsets for the offline check (clang, nvcc); NVRTC
//   before 13.4 cannot evaluate offsetof in a constant expression, so there it checks sizes only.
#pragma once

#if !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
#include "clang_offline.cuh"
#endif

#if defined(__CUDACC_RTC__)
#define SG_ASSERT_OFFSET(type, field, offset) static_assert(true, "offsets are pinned by the offline check")
#else
#define SG_ASSERT_OFFSET(type, field, offset) \
    static_assert(__builtin_offsetof(type, field) == offset, #type "." #field " must sit at byte " #offset)
#endif
#define SG_ASSERT_SIZE(type, size) static_assert(sizeof(type) == size, #type " must be " #size " bytes")

typedef unsigned long long devptr;

struct half_t { unsigned short bits; };
struct bf16_t { unsigned short bits; };

__device__ __forceinline__ float to_float(float x) { return x; }

__device__ __forceinline__ float to_float(half_t x)
{
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(x.bits));
    return f;
}

__device__ __forceinline__ float to_float(bf16_t x) { return __uint_as_float(((unsigned)x.bits) << 16); }

template <typename T> __device__ __forceinline__ T from_float(float x);

template <> __device__ __forceinline__ float from_float<float>(float x) { return x; }

template <> __device__ __forceinline__ half_t from_float<half_t>(float x)
{
    half_t h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h.bits) : "f"(x));
    return h;
}

// Round to nearest, ties to even: add 0x7fff plus the lowest kept bit, then truncate. NaN stays a
// (quiet) NaN instead of rounding into infinity.
template <> __device__ __forceinline__ bf16_t from_float<bf16_t>(float x)
{
    unsigned u = __float_as_uint(x);
    bf16_t b;
    if ((u & 0x7fffffffu) > 0x7f800000u)
        b.bits = (unsigned short)((u >> 16) | 0x40u);
    else
        b.bits = (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    return b;
}

__device__ __forceinline__ float sg_nan() { return __int_as_float(0x7fffffff); }
__device__ __forceinline__ float sg_neg_inf() { return __int_as_float((int)0xff800000u); }

template <typename V> __device__ __forceinline__ V warp_sum(V v)
{
    for (int offset = 16; offset > 0; offset >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

__device__ __forceinline__ float warp_max(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

// scratch: 32 values of shared memory. The leading barrier lets a caller reuse scratch back to back.
template <typename V> __device__ __forceinline__ V block_sum(V v, V* scratch)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0)
        scratch[warp] = v;
    __syncthreads();
    return warp_sum(lane < warps ? scratch[lane] : (V)0);
}

__device__ __forceinline__ float block_max(float v, float* scratch)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0)
        scratch[warp] = v;
    __syncthreads();
    return warp_max(lane < warps ? scratch[lane] : sg_neg_inf());
}

// Grid-stride loop bounds for element-wise kernels over `count` elements (64-bit indices).
#define SG_GRID_STRIDE_LOOP(i, count)                                                        \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (count);     \
         i += (long long)gridDim.x * blockDim.x)
