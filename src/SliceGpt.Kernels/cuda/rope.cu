// rope.cu: rotary position embedding, in place, on the fused qkv buffer T[rows, stride] whose row holds
// nHeads query heads from column 0 and nKvHeads key heads from column nHeads*headDim (values follow and
// are not touched). Row r sits at position positions[r].
// Tables: cos/sin float[maxPositions, rotaryDim/2], computed on the host in double (as RopeTable) and
// rounded to fp32. Only the first rotaryDim dims of each head rotate (partial rotary, Phi).
// Pair i of a head is (2i, 2i+1) when interleaved (llama2.c) and (i, i + rotaryDim/2) otherwise
// (rotate-half, Hugging Face): x0' = x0*cos - x1*sin, x1' = x0*sin + x1*cos.
// Geometry: grid.x = rows, one block per row; the threads stride over the (nHeads + nKvHeads) *
// rotaryDim/2 pairs of the row, one pair per step. A position outside the table writes NaN into the
// pair, so a bad position never reads out of bounds and never passes silently.
#include "common.cuh"

struct RopeArgs
{
    devptr qkv;       // T[rows, stride], rotated in place
    devptr positions; // int[rows]
    devptr cosTable;  // float[maxPositions, rotaryDim / 2]
    devptr sinTable;  // float[maxPositions, rotaryDim / 2]
    int rows;
    int stride;       // qDim + 2 * kvDim
    int nHeads;
    int nKvHeads;
    int headDim;
    int rotaryDim;    // even, <= headDim
    int interleaved;  // 1: pairs (2i, 2i+1); 0: pairs (i, i + rotaryDim/2)
    int maxPositions;
};
SG_ASSERT_SIZE(RopeArgs, 64);
SG_ASSERT_OFFSET(RopeArgs, qkv, 0);
SG_ASSERT_OFFSET(RopeArgs, positions, 8);
SG_ASSERT_OFFSET(RopeArgs, cosTable, 16);
SG_ASSERT_OFFSET(RopeArgs, sinTable, 24);
SG_ASSERT_OFFSET(RopeArgs, rows, 32);
SG_ASSERT_OFFSET(RopeArgs, stride, 36);
SG_ASSERT_OFFSET(RopeArgs, nHeads, 40);
SG_ASSERT_OFFSET(RopeArgs, nKvHeads, 44);
SG_ASSERT_OFFSET(RopeArgs, headDim, 48);
SG_ASSERT_OFFSET(RopeArgs, rotaryDim, 52);
SG_ASSERT_OFFSET(RopeArgs, interleaved, 56);
SG_ASSERT_OFFSET(RopeArgs, maxPositions, 60);

template <typename T> __device__ __forceinline__ void rope(const RopeArgs a)
{
    const int r = blockIdx.x;
    if (r >= a.rows)
        return;
    const int half = a.rotaryDim / 2;
    const int p = ((const int*)a.positions)[r];
    const bool bad = p < 0 || p >= a.maxPositions;
    const float* cosRow = (const float*)a.cosTable + (size_t)(bad ? 0 : p) * half;
    const float* sinRow = (const float*)a.sinTable + (size_t)(bad ? 0 : p) * half;
    T* row = (T*)a.qkv + (size_t)r * a.stride;
    const int pairs = (a.nHeads + a.nKvHeads) * half;
    for (int k = threadIdx.x; k < pairs; k += blockDim.x)
    {
        const int head = k / half, i = k % half;
        // Key heads start right after the query heads, so head h starts at column h * headDim either way.
        T* x = row + (size_t)head * a.headDim;
        const int i0 = a.interleaved ? 2 * i : i;
        const int i1 = a.interleaved ? 2 * i + 1 : i + half;
        const float x0 = to_float(x[i0]), x1 = to_float(x[i1]);
        const float c = bad ? sg_nan() : cosRow[i];
        const float s = bad ? sg_nan() : sinRow[i];
        x[i0] = from_float<T>(x0 * c - x1 * s);
        x[i1] = from_float<T>(x0 * s + x1 * c);
    }
}

extern "C" __global__ void rope_f32(const RopeArgs a) { rope<float>(a); }
extern "C" __global__ void rope_f16(const RopeArgs a) { rope<half_t>(a); }
extern "C" __global__ void rope_bf16(const RopeArgs a) { rope<bf16_t>(a); }
