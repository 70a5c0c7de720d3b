// convert.cu: element-wise dtype conversion between device buffers of count elements.
// f32 -> f16 rounds to nearest even (cvt.rn); f32 -> bf16 rounds to nearest even with NaN kept quiet
// (common.cuh); f16/bf16 -> f32 is exact; f64 -> f32 rounds to nearest (the rotations are computed in fp64
// and stored in the model's dtype); f32 -> f64 is exact.
// Geometry: a 1-D grid-stride loop, each thread converting one element per step.
#include "common.cuh"

struct ConvertArgs
{
    devptr source;      // S[count]
    devptr destination; // D[count]
    long long count;
};
SG_ASSERT_SIZE(ConvertArgs, 24);
SG_ASSERT_OFFSET(ConvertArgs, source, 0);
SG_ASSERT_OFFSET(ConvertArgs, destination, 8);
SG_ASSERT_OFFSET(ConvertArgs, count, 16);

template <typename S, typename D> __device__ __forceinline__ void convert(const ConvertArgs a)
{
    const S* source = (const S*)a.source;
    D* destination = (D*)a.destination;
    SG_GRID_STRIDE_LOOP(i, a.count)
        destination[i] = from_float<D>(to_float(source[i]));
}

__device__ __forceinline__ void convert_f64_f32(const ConvertArgs a)
{
    const double* source = (const double*)a.source;
    float* destination = (float*)a.destination;
    SG_GRID_STRIDE_LOOP(i, a.count)
        destination[i] = (float)source[i];
}

__device__ __forceinline__ void convert_f32_f64(const ConvertArgs a)
{
    const float* source = (const float*)a.source;
    double* destination = (double*)a.destination;
    SG_GRID_STRIDE_LOOP(i, a.count)
        destination[i] = (double)source[i];
}

extern "C" __global__ void convert_f32_to_f16(const ConvertArgs a) { convert<float, half_t>(a); }
extern "C" __global__ void convert_f16_to_f32(const ConvertArgs a) { convert<half_t, float>(a); }
extern "C" __global__ void convert_f32_to_bf16(const ConvertArgs a) { convert<float, bf16_t>(a); }
extern "C" __global__ void convert_bf16_to_f32(const ConvertArgs a) { convert<bf16_t, float>(a); }
extern "C" __global__ void convert_f64_to_f32(const ConvertArgs a) { convert_f64_f32(a); }
extern "C" __global__ void convert_f32_to_f64(const ConvertArgs a) { convert_f32_f64(a); }
