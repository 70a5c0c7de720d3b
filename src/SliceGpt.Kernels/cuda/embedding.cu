// embedding.cu: token embedding gather, plus OPT's learned position embedding.
// Layout (row-major): tokens int[rows]; table T[vocabSize, dim]; positions int[rows] and positionTable
// T[maxPositions, dim], both optional (positionTable == 0 skips them); output T[rows, dim].
// Geometry: grid.x = rows, one block per token; the block's threads stride over the dim columns.
// Each thread writes output[r, j] = table[tokens[r], j] (+ positionTable[positions[r] + positionOffset, j]),
// added in fp32. A token id outside [0, vocabSize) or a position outside the table fills the row with NaN:
// the host validates ids, and a bad one must never be read out of bounds or pass silently.
#include "common.cuh"

struct EmbeddingArgs
{
    devptr tokens;        // int[rows]
    devptr table;         // T[vocabSize, dim]
    devptr positions;     // int[rows], read only with positionTable
    devptr positionTable; // T[maxPositions, dim] or 0
    devptr output;        // T[rows, dim]
    int rows;
    int dim;
    int vocabSize;
    int positionOffset;   // OPT stores positions shifted by 2
    int maxPositions;
};
SG_ASSERT_SIZE(EmbeddingArgs, 64);
SG_ASSERT_OFFSET(EmbeddingArgs, tokens, 0);
SG_ASSERT_OFFSET(EmbeddingArgs, table, 8);
SG_ASSERT_OFFSET(EmbeddingArgs, positions, 16);
SG_ASSERT_OFFSET(EmbeddingArgs, positionTable, 24);
SG_ASSERT_OFFSET(EmbeddingArgs, output, 32);
SG_ASSERT_OFFSET(EmbeddingArgs, rows, 40);
SG_ASSERT_OFFSET(EmbeddingArgs, dim, 44);
SG_ASSERT_OFFSET(EmbeddingArgs, vocabSize, 48);
SG_ASSERT_OFFSET(EmbeddingArgs, positionOffset, 52);
SG_ASSERT_OFFSET(EmbeddingArgs, maxPositions, 56);

template <typename T> __device__ __forceinline__ void embedding(const EmbeddingArgs a)
{
    const int r = blockIdx.x;
    if (r >= a.rows)
        return;
    const int id = ((const int*)a.tokens)[r];
    bool bad = id < 0 || id >= a.vocabSize;
    const T* positionRow = 0;
    if (a.positionTable != 0)
    {
        const int p = ((const int*)a.positions)[r] + a.positionOffset;
        if (p < 0 || p >= a.maxPositions)
            bad = true;
        else
            positionRow = (const T*)a.positionTable + (size_t)p * a.dim;
    }
    const T* row = (const T*)a.table + (size_t)(bad ? 0 : id) * a.dim;
    T* out = (T*)a.output + (size_t)r * a.dim;
    for (int j = threadIdx.x; j < a.dim; j += blockDim.x)
    {
        float v = sg_nan();
        if (!bad)
        {
            v = to_float(row[j]);
            if (positionRow != 0)
                v += to_float(positionRow[j]);
        }
        out[j] = from_float<T>(v);
    }
}

extern "C" __global__ void embedding_f32(const EmbeddingArgs a) { embedding<float>(a); }
extern "C" __global__ void embedding_f16(const EmbeddingArgs a) { embedding<half_t>(a); }
extern "C" __global__ void embedding_bf16(const EmbeddingArgs a) { embedding<bf16_t>(a); }
