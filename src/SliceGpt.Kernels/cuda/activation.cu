// activation.cu: the MLP nonlinearities, element-wise, fp32 math on T storage.
// silu_mul: gateUp T[rows, 2*hidden] holds [gate | up] per row (the fused projection);
//   output[r, j] = silu(gate[r, j]) * up[r, j] with silu(g) = g / (1 + exp(-g)), output T[rows, hidden].
// gelu_new (tanh approximation, as GPT-2/Phi): x = 0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3))), in place.
// relu: x = max(x, 0), in place; NaN stays NaN (as the CPU reference's max does).
// Geometry: a 1-D grid-stride loop, each thread handling one element per step; the launcher caps the grid
// at a few waves of blocks. silu_mul tracks (row, column) incrementally instead of dividing per element.
#include "common.cuh"

struct SiluMulArgs
{
    devptr gateUp; // T[rows, 2 * hidden]
    devptr output; // T[rows, hidden]
    int rows;
    int hidden;
};
SG_ASSERT_SIZE(SiluMulArgs, 24);
SG_ASSERT_OFFSET(SiluMulArgs, gateUp, 0);
SG_ASSERT_OFFSET(SiluMulArgs, output, 8);
SG_ASSERT_OFFSET(SiluMulArgs, rows, 16);
SG_ASSERT_OFFSET(SiluMulArgs, hidden, 20);

struct ActivationArgs
{
    devptr x;        // T[count], in place
    long long count;
};
SG_ASSERT_SIZE(ActivationArgs, 16);
SG_ASSERT_OFFSET(ActivationArgs, x, 0);
SG_ASSERT_OFFSET(ActivationArgs, count, 8);

template <typename T> __device__ __forceinline__ void silu_mul(const SiluMulArgs a)
{
    // The grid-stride loop walks (row, column) pairs; the pair is divided out of the flat index once per thread and then
    // advanced by the stride's own (rows, columns), so no 64-bit division runs per element.
    const T* gateUp = (const T*)a.gateUp;
    T* out = (T*)a.output;
    const long long total = (long long)a.rows * a.hidden;
    const long long stride = (long long)gridDim.x * blockDim.x;
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total)
        return;
    long long r = i / a.hidden;
    int j = (int)(i - r * a.hidden);
    const long long strideRows = stride / a.hidden;
    const int strideColumns = (int)(stride - strideRows * a.hidden);
    for (; i < total; i += stride)
    {
        const T* row = gateUp + r * 2 * a.hidden;
        const float g = to_float(row[j]);
        const float u = to_float(row[a.hidden + j]);
        out[i] = from_float<T>(g / (1.0f + expf(-g)) * u);
        r += strideRows;
        j += strideColumns;
        if (j >= a.hidden)
        {
            j -= a.hidden;
            r++;
        }
    }
}

template <typename T> __device__ __forceinline__ void gelu_new(const ActivationArgs a)
{
    const float c = 0.7978845608028654f; // sqrt(2 / pi)
    const float k = 0.044715f;
    T* x = (T*)a.x;
    SG_GRID_STRIDE_LOOP(i, a.count)
    {
        const float v = to_float(x[i]);
        x[i] = from_float<T>(0.5f * v * (1.0f + tanhf(c * (v + k * v * v * v))));
    }
}

template <typename T> __device__ __forceinline__ void relu(const ActivationArgs a)
{
    T* x = (T*)a.x;
    SG_GRID_STRIDE_LOOP(i, a.count)
    {
        const float v = to_float(x[i]);
        x[i] = from_float<T>(v > 0.0f || v != v ? v : 0.0f);
    }
}

extern "C" __global__ void silu_mul_f32(const SiluMulArgs a) { silu_mul<float>(a); }
extern "C" __global__ void silu_mul_f16(const SiluMulArgs a) { silu_mul<half_t>(a); }
extern "C" __global__ void silu_mul_bf16(const SiluMulArgs a) { silu_mul<bf16_t>(a); }
extern "C" __global__ void gelu_new_f32(const ActivationArgs a) { gelu_new<float>(a); }
extern "C" __global__ void gelu_new_f16(const ActivationArgs a) { gelu_new<half_t>(a); }
extern "C" __global__ void gelu_new_bf16(const ActivationArgs a) { gelu_new<bf16_t>(a); }
extern "C" __global__ void relu_f32(const ActivationArgs a) { relu<float>(a); }
extern "C" __global__ void relu_f16(const ActivationArgs a) { relu<half_t>(a); }
extern "C" __global__ void relu_bf16(const ActivationArgs a) { relu<bf16_t>(a); }
