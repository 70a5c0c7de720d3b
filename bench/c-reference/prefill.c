/*
 * A plain C forward pass of a llama2.c (version 0) checkpoint, used as the speed baseline for SliceGpt's
 * CPU prefill: it processes a prompt token by token with a KV cache, one matrix-vector product per weight,
 * exactly the work llama2.c's run.c does, and reports prompt tokens per second.
 *
 * usage: prefill CHECKPOINT.bin NTOKENS [REPEATS]
 * The tokens are 1 (BOS) followed by ids (i * 7919) % vocab, so every run sees the same input.
 * It prints the logit checksum so the result can be compared with SliceGpt's on the same tokens.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { int dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; } Config;

typedef struct {
    float *token_embedding, *rms_att, *wq, *wk, *wv, *wo, *rms_ffn, *w1, *w2, *w3, *rms_final, *wcls;
} Weights;

static void matvec(float *out, const float *x, const float *w, int n, int d) {
    /* out (d) = W (d, n) · x (n) */
    for (int i = 0; i < d; i++) {
        const float *row = w + (size_t)i * n;
        float acc = 0.0f;
        for (int j = 0; j < n; j++) acc += row[j] * x[j];
        out[i] = acc;
    }
}

static void rmsnorm(float *out, const float *x, const float *weight, int n) {
    float ss = 0.0f;
    for (int j = 0; j < n; j++) ss += x[j] * x[j];
    ss = 1.0f / sqrtf(ss / n + 1e-5f);
    for (int j = 0; j < n; j++) out[j] = weight[j] * (ss * x[j]);
}

static void softmax(float *x, int n) {
    float max = x[0], sum = 0.0f;
    for (int i = 1; i < n; i++) if (x[i] > max) max = x[i];
    for (int i = 0; i < n; i++) { x[i] = expf(x[i] - max); sum += x[i]; }
    for (int i = 0; i < n; i++) x[i] /= sum;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s checkpoint.bin ntokens [repeats]\n", argv[0]); return 2; }
    int ntok = atoi(argv[2]), repeats = argc > 3 ? atoi(argv[3]) : 3;
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    Config c;
    if (fread(&c, sizeof c, 1, f) != 1) { fprintf(stderr, "short header\n"); return 2; }
    int shared = c.vocab_size > 0;
    c.vocab_size = abs(c.vocab_size);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    float *data = malloc(size);
    if (fread(data, 1, size, f) != (size_t)size) { fprintf(stderr, "short read\n"); return 2; }
    fclose(f);
    int head = c.dim / c.n_heads, kv_dim = c.n_kv_heads * head, L = c.n_layers;
    if (ntok > c.seq_len) { fprintf(stderr, "ntokens > seq_len %d\n", c.seq_len); return 2; }
    Weights w;
    float *p = data + 7;
    w.token_embedding = p; p += (size_t)c.vocab_size * c.dim;
    w.rms_att = p; p += (size_t)L * c.dim;
    w.wq = p; p += (size_t)L * c.dim * c.dim;
    w.wk = p; p += (size_t)L * c.dim * kv_dim;
    w.wv = p; p += (size_t)L * c.dim * kv_dim;
    w.wo = p; p += (size_t)L * c.dim * c.dim;
    w.rms_ffn = p; p += (size_t)L * c.dim;
    w.w1 = p; p += (size_t)L * c.dim * c.hidden_dim;
    w.w2 = p; p += (size_t)L * c.hidden_dim * c.dim;
    w.w3 = p; p += (size_t)L * c.dim * c.hidden_dim;
    w.rms_final = p; p += c.dim;
    p += (size_t)c.seq_len * head; /* freq_cis_real and freq_cis_imag */
    w.wcls = shared ? w.token_embedding : p;

    float *x = calloc(c.dim, 4), *xb = calloc(c.dim, 4), *xb2 = calloc(c.dim, 4), *hb = calloc(c.hidden_dim, 4),
          *hb2 = calloc(c.hidden_dim, 4), *q = calloc(c.dim, 4), *att = calloc(c.seq_len, 4),
          *logits = calloc(c.vocab_size, 4);
    float *kcache = calloc((size_t)L * c.seq_len * kv_dim, 4), *vcache = calloc((size_t)L * c.seq_len * kv_dim, 4);
    double best = 1e30, checksum = 0;
    for (int rep = 0; rep < repeats; rep++) {
        checksum = 0;
        double t0 = now();
        for (int pos = 0; pos < ntok; pos++) {
            int token = pos == 0 ? 1 : (int)(((long)pos * 7919) % c.vocab_size);
            memcpy(x, w.token_embedding + (size_t)token * c.dim, c.dim * 4);
            for (int l = 0; l < L; l++) {
                rmsnorm(xb, x, w.rms_att + l * c.dim, c.dim);
                float *k = kcache + ((size_t)l * c.seq_len + pos) * kv_dim, *v = vcache + ((size_t)l * c.seq_len + pos) * kv_dim;
                matvec(q, xb, w.wq + (size_t)l * c.dim * c.dim, c.dim, c.dim);
                matvec(k, xb, w.wk + (size_t)l * c.dim * kv_dim, c.dim, kv_dim);
                matvec(v, xb, w.wv + (size_t)l * c.dim * kv_dim, c.dim, kv_dim);
                for (int i = 0; i < c.dim; i += 2) { /* interleaved RoPE */
                    int hd = i % head;
                    float freq = 1.0f / powf(10000.0f, hd / (float)head), val = pos * freq;
                    float fcr = cosf(val), fci = sinf(val);
                    for (int t = 0; t < (i < kv_dim ? 2 : 1); t++) {
                        float *vec = t == 0 ? q : k;
                        float v0 = vec[i], v1 = vec[i + 1];
                        vec[i] = v0 * fcr - v1 * fci;
                        vec[i + 1] = v0 * fci + v1 * fcr;
                    }
                }
                for (int h = 0; h < c.n_heads; h++) {
                    float *qh = q + h * head;
                    int kvh = h / (c.n_heads / c.n_kv_heads);
                    for (int t = 0; t <= pos; t++) {
                        float *kt = kcache + ((size_t)l * c.seq_len + t) * kv_dim + kvh * head, s = 0;
                        for (int i = 0; i < head; i++) s += qh[i] * kt[i];
                        att[t] = s / sqrtf(head);
                    }
                    softmax(att, pos + 1);
                    float *out = xb + h * head;
                    memset(out, 0, head * 4);
                    for (int t = 0; t <= pos; t++) {
                        float *vt = vcache + ((size_t)l * c.seq_len + t) * kv_dim + kvh * head;
                        for (int i = 0; i < head; i++) out[i] += att[t] * vt[i];
                    }
                }
                matvec(xb2, xb, w.wo + (size_t)l * c.dim * c.dim, c.dim, c.dim);
                for (int i = 0; i < c.dim; i++) x[i] += xb2[i];
                rmsnorm(xb, x, w.rms_ffn + l * c.dim, c.dim);
                matvec(hb, xb, w.w1 + (size_t)l * c.dim * c.hidden_dim, c.dim, c.hidden_dim);
                matvec(hb2, xb, w.w3 + (size_t)l * c.dim * c.hidden_dim, c.dim, c.hidden_dim);
                for (int i = 0; i < c.hidden_dim; i++) hb[i] = hb[i] / (1.0f + expf(-hb[i])) * hb2[i];
                matvec(xb, hb, w.w2 + (size_t)l * c.dim * c.hidden_dim, c.hidden_dim, c.dim);
                for (int i = 0; i < c.dim; i++) x[i] += xb[i];
            }
            rmsnorm(x, x, w.rms_final, c.dim);
            matvec(logits, x, w.wcls, c.dim, c.vocab_size); /* logits of every position, as prefill for perplexity */
            checksum += logits[token % c.vocab_size];
        }
        double dt = now() - t0;
        if (dt < best) best = dt;
    }
    printf("{\"tokens\": %d, \"seconds\": %.6f, \"tokens_per_second\": %.1f, \"checksum\": %.6f}\n", ntok, best, ntok / best, checksum);
    return 0;
}
