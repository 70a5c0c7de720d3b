// elementwise.cu: broadcast bias add and residual add, fp32 math on T storage.
// bias_add: y T[rows, width] += bias T[width] on every row (a linear layer's bias after the GEMM).
// residual_add: y T[count] += x T[count] (the residual stream; y and x may be the same buffer).
// Geometry: a 1-D grid-stride loop, each thread handling one element per step.
#include "common.cuh"

struct BiasAddArgs
{
    devptr y;    // T[rows, width], in place
    devptr bias; // T[width]
    int rows;
    int width;
};
SG_ASSERT_SIZE(BiasAddArgs, 24);
SG_ASSERT_OFFSET(BiasAddArgs, y, 0);
SG_ASSERT_OFFSET(BiasAddArgs, bias, 8);
SG_ASSERT_OFFSET(BiasAddArgs, rows, 16);
SG_ASSERT_OFFSET(BiasAddArgs, width, 20);

struct ResidualAddArgs
{
    devptr y;        // T[count], in place
    devptr x;        // T[count]
    long long count;
};
SG_ASSERT_SIZE(ResidualAddArgs, 24);
SG_ASSERT_OFFSET(ResidualAddArgs, y, 0);
SG_ASSERT_OFFSET(ResidualAddArgs, x, 8);
SG_ASSERT_OFFSET(ResidualAddArgs, count, 16);

template <typename T> __device__ __forceinline__ void bias_add(const BiasAddArgs a)
{
    T* y = (T*)a.y;
    const T* bias = (const T*)a.bias;
    SG_GRID_STRIDE_LOOP(i, (long long)a.rows * a.width)
        y[i] = from_float<T>(to_float(y[i]) + to_float(bias[i % a.width]));
}

template <typename T> __device__ __forceinline__ void residual_add(const ResidualAddArgs a)
{
    T* y = (T*)a.y;
    const T* x = (const T*)a.x;
    SG_GRID_STRIDE_LOOP(i, a.count)
        y[i] = from_float<T>(to_float(y[i]) + to_float(x[i]));
}

extern "C" __global__ void bias_add_f32(const BiasAddArgs a) { bias_add<float>(a); }
extern "C" __global__ void bias_add_f16(const BiasAddArgs a) { bias_add<half_t>(a); }
extern "C" __global__ void bias_add_bf16(const BiasAddArgs a) { bias_add<bf16_t>(a); }
extern "C" __global__ void residual_add_f32(const ResidualAddArgs a) { residual_add<float>(a); }
extern "C" __global__ void residual_add_f16(const ResidualAddArgs a) { residual_add<half_t>(a); }
extern "C" __global__ void residual_add_bf16(const ResidualAddArgs a) { residual_add<bf16_t>(a); }
