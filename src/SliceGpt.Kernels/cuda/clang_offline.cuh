// clang_offline.cuh: the few CUDA built-ins the kernels use, for clang's CUDA mode without a CUDA toolkit
// (`-nocudainc -nocudalib`). Only common.cuh includes it, and only when neither nvcc nor NVRTC compiles
// (both define __CUDACC__ and provide these built-ins themselves). Math maps to libdevice's __nv_*
// declarations, which clang ships; the offline check emits PTX and never links, so they stay unresolved.
#pragma once

#define __device__ __attribute__((device))
#define __global__ __attribute__((global))
#define __shared__ __attribute__((shared))
#define __host__ __attribute__((host))
#define __constant__ __attribute__((constant))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))

typedef __SIZE_TYPE__ size_t;

#include <__clang_cuda_builtin_vars.h>
#include <__clang_cuda_libdevice_declares.h>

static __device__ __forceinline__ float expf(float x) { return __nv_expf(x); }
static __device__ __forceinline__ float logf(float x) { return __nv_logf(x); }
static __device__ __forceinline__ float sqrtf(float x) { return __nv_sqrtf(x); }
static __device__ __forceinline__ float tanhf(float x) { return __nv_tanhf(x); }
static __device__ __forceinline__ float fmaxf(float a, float b) { return __nv_fmaxf(a, b); }
static __device__ __forceinline__ float fminf(float a, float b) { return __nv_fminf(a, b); }
static __device__ __forceinline__ double exp(double x) { return __nv_exp(x); }
static __device__ __forceinline__ double log(double x) { return __nv_log(x); }
static __device__ __forceinline__ float __int_as_float(int x) { return __nv_int_as_float(x); }
static __device__ __forceinline__ float __uint_as_float(unsigned x) { return __nv_uint_as_float(x); }
static __device__ __forceinline__ unsigned __float_as_uint(float x) { return __nv_float_as_uint(x); }
static __device__ __forceinline__ int __double2hiint(double x) { return __nv_double2hiint(x); }
static __device__ __forceinline__ int __double2loint(double x) { return __nv_double2loint(x); }
static __device__ __forceinline__ double __hiloint2double(int hi, int lo) { return __nv_hiloint2double(hi, lo); }

static __device__ __forceinline__ int __shfl_xor_sync(unsigned mask, int v, int laneMask)
{
    return __nvvm_shfl_sync_bfly_i32(mask, v, laneMask, 0x1f);
}
static __device__ __forceinline__ float __shfl_xor_sync(unsigned mask, float v, int laneMask)
{
    return __nvvm_shfl_sync_bfly_f32(mask, v, laneMask, 0x1f);
}
static __device__ __forceinline__ double __shfl_xor_sync(unsigned mask, double v, int laneMask)
{
    int hi = __shfl_xor_sync(mask, __double2hiint(v), laneMask);
    int lo = __shfl_xor_sync(mask, __double2loint(v), laneMask);
    return __hiloint2double(hi, lo);
}
