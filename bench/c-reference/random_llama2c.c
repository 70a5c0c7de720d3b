/*
 * Writes a llama2.c (version 0) checkpoint with random weights, for speed comparisons at a chosen size.
 * usage: random_llama2c OUT.bin DIM HIDDEN LAYERS HEADS KV_HEADS VOCAB SEQ_LEN
 * Weights are uniform in [-0.035, 0.035] (standard deviation 0.02) from a fixed 64-bit LCG, norms are 1, so every run
 * writes the same file. The classifier is shared with the embedding (positive vocab_size).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state = 0x2545F4914F6CDD1DULL;

static float next_weight(void) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((float)(state >> 40) / 16777216.0f * 2.0f - 1.0f) * 0.0346f;
}

static void write_random(FILE *f, size_t n) {
    float buffer[4096];
    while (n > 0) {
        size_t k = n < 4096 ? n : 4096;
        for (size_t i = 0; i < k; i++) buffer[i] = next_weight();
        fwrite(buffer, sizeof(float), k, f);
        n -= k;
    }
}

static void write_ones(FILE *f, size_t n) {
    float one = 1.0f;
    for (size_t i = 0; i < n; i++) fwrite(&one, sizeof one, 1, f);
}

int main(int argc, char **argv) {
    if (argc != 9) { fprintf(stderr, "usage: %s out.bin dim hidden layers heads kv_heads vocab seq_len\n", argv[0]); return 2; }
    int h[7];
    for (int i = 0; i < 7; i++) h[i] = atoi(argv[i + 2]);
    size_t dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kv = h[4], vocab = h[5], seq = h[6];
    size_t head = dim / heads, kv_dim = kv * head;
    FILE *f = fopen(argv[1], "wb");
    if (!f) { perror(argv[1]); return 2; }
    fwrite(h, sizeof(int), 7, f);
    write_random(f, vocab * dim);          /* token_embedding */
    write_ones(f, layers * dim);           /* rms_att */
    write_random(f, layers * dim * dim);   /* wq */
    write_random(f, layers * kv_dim * dim);/* wk */
    write_random(f, layers * kv_dim * dim);/* wv */
    write_random(f, layers * dim * dim);   /* wo */
    write_ones(f, layers * dim);           /* rms_ffn */
    write_random(f, layers * hidden * dim);/* w1 */
    write_random(f, layers * dim * hidden);/* w2 */
    write_random(f, layers * hidden * dim);/* w3 */
    write_ones(f, dim);                    /* rms_final */
    write_random(f, seq * head / 2);       /* freq_cis_real (unused by either runtime) */
    write_random(f, seq * head / 2);       /* freq_cis_imag */
    return fclose(f) == 0 ? 0 : 1;
}
