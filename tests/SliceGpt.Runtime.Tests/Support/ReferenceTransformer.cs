namespace SliceGpt.Runtime.Tests.Support;

/// <summary>
/// An independent, deliberately naive float64 forward pass written straight from Hugging Face's modeling code,
/// one token and one head at a time, on the checkpoint's own tensor names (no fusion, no BLAS). It shares no
/// code with the runtime, so agreement checks the runtime's semantics for each family.
/// </summary>
internal sealed class ReferenceTransformer(NamedTensors t, SyntheticSpec s)
{
    private readonly int _headDim = s.Dim / s.Heads;
    private int KvHeads => s.Family == "opt" ? s.Heads : s.KvHeads;

    public double[][] Logits(int[] tokens)
    {
        int n = tokens.Length;
        var x = new double[n][];
        for (int i = 0; i < n; i++)
        {
            x[i] = Row(Embedding(), tokens[i], s.Dim);
            if (s.Family == "opt")
                x[i] = Add(x[i], Row(t["model.decoder.embed_positions.weight"].Data, i + 2, s.Dim)); // OPT's offset 2
        }
        for (int l = 0; l < s.Layers; l++)
            x = Layer(l, x);
        var (finalW, finalB) = s.Family switch
        {
            "opt" => ("model.decoder.final_layer_norm", true),
            "phi" => ("model.final_layernorm", true),
            _ => ("model.norm", false),
        };
        var head = s.Family == "opt" || s.Tied ? Embedding() : t["lm_head.weight"].Data;
        var headBias = t.Has("lm_head.bias") ? t["lm_head.bias"].Data : null;
        return x.Select(xi => MatVec(head, s.Vocab, s.Dim, Norm(xi, finalW, finalB), headBias)).ToArray();
    }

    private double[] Embedding() => (s.Family == "opt" ? t["model.decoder.embed_tokens.weight"] : t["model.embed_tokens.weight"]).Data;

    private double[][] Layer(int l, double[][] x)
    {
        int n = x.Length;
        switch (s.Family)
        {
            case "llama":
            case "phi3":
            {
                var p = $"model.layers.{l}.";
                var h = x.Select(xi => Norm(xi, p + "input_layernorm", false)).ToArray();
                var (q, k, v) = s.Family == "llama"
                    ? (Project(h, p + "self_attn.q_proj"), Project(h, p + "self_attn.k_proj"), Project(h, p + "self_attn.v_proj"))
                    : SplitQkv(Project(h, p + "self_attn.qkv_proj"));
                Rope(q, s.Heads, _headDim);
                Rope(k, KvHeads, _headDim);
                var att = Attention(q, k, v);
                var mid = Enumerable.Range(0, n).Select(i => Add(x[i], Project(att[i], p + "self_attn.o_proj"))).ToArray();
                var h2 = mid.Select(m => Norm(m, p + "post_attention_layernorm", false)).ToArray();
                return Enumerable.Range(0, n).Select(i =>
                {
                    double[] gate, up;
                    if (s.Family == "llama")
                    {
                        gate = Project(h2[i], p + "mlp.gate_proj");
                        up = Project(h2[i], p + "mlp.up_proj");
                    }
                    else
                    {
                        var gu = Project(h2[i], p + "mlp.gate_up_proj");
                        gate = gu[..s.Hidden];
                        up = gu[s.Hidden..];
                    }
                    var a = gate.Select((g, j) => g / (1 + Math.Exp(-g)) * up[j]).ToArray();
                    return Add(mid[i], Project(a, p + "mlp.down_proj"));
                }).ToArray();
            }
            case "opt":
            {
                var p = $"model.decoder.layers.{l}.";
                var h = x.Select(xi => Norm(xi, p + "self_attn_layer_norm", true)).ToArray();
                // Hugging Face scales q after its bias: q = (h·Wqᵀ + b)·head_dim^−½, then unscaled scores.
                var q = Project(h, p + "self_attn.q_proj").Select(r => r.Select(v => v / Math.Sqrt(_headDim)).ToArray()).ToArray();
                var att = Attention(q, Project(h, p + "self_attn.k_proj"), Project(h, p + "self_attn.v_proj"), scale: 1.0);
                var mid = Enumerable.Range(0, n).Select(i => Add(x[i], Project(att[i], p + "self_attn.out_proj"))).ToArray();
                return mid.Select(m =>
                {
                    var a = Project(Norm(m, p + "final_layer_norm", true), p + "fc1").Select(v => Math.Max(v, 0)).ToArray();
                    return Add(m, Project(a, p + "fc2"));
                }).ToArray();
            }
            case "phi":
            {
                var p = $"model.layers.{l}.";
                var h = x.Select(xi => Norm(xi, p + "input_layernorm", true)).ToArray();
                var q = Project(h, p + "self_attn.q_proj");
                var k = Project(h, p + "self_attn.k_proj");
                Rope(q, s.Heads, (int)(_headDim * s.PartialRotary));
                Rope(k, KvHeads, (int)(_headDim * s.PartialRotary));
                var att = Attention(q, k, Project(h, p + "self_attn.v_proj"));
                return Enumerable.Range(0, n).Select(i =>
                {
                    var m = Project(h[i], p + "mlp.fc1").Select(GeluNew).ToArray();
                    return Add(Add(x[i], Project(att[i], p + "self_attn.dense")), Project(m, p + "mlp.fc2"));
                }).ToArray();
            }
            default:
                throw new ArgumentException(s.Family);
        }
    }

    private static double GeluNew(double v) => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));

    private (double[][], double[][], double[][]) SplitQkv(double[][] qkv)
    {
        int kv = KvHeads * _headDim;
        return (qkv.Select(r => r[..s.Dim]).ToArray(), qkv.Select(r => r[s.Dim..(s.Dim + kv)]).ToArray(),
            qkv.Select(r => r[(s.Dim + kv)..]).ToArray());
    }

    // Rotate-half RoPE on the first rotaryDim dims of each head: (x1, x2) → (x1 cos − x2 sin, x2 cos + x1 sin).
    private void Rope(double[][] rows, int heads, int rotaryDim)
    {
        int half = rotaryDim / 2;
        for (int pos = 0; pos < rows.Length; pos++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < half; i++)
                {
                    double angle = pos * Math.Pow(s.Theta, -2.0 * i / rotaryDim);
                    int a = h * _headDim + i, b = a + half;
                    double x1 = rows[pos][a], x2 = rows[pos][b];
                    rows[pos][a] = x1 * Math.Cos(angle) - x2 * Math.Sin(angle);
                    rows[pos][b] = x2 * Math.Cos(angle) + x1 * Math.Sin(angle);
                }
    }

    private double[][] Attention(double[][] q, double[][] k, double[][] v, double? scale = null)
    {
        int n = q.Length, group = s.Heads / KvHeads;
        double sc = scale ?? 1 / Math.Sqrt(_headDim);
        var output = new double[n][];
        for (int i = 0; i < n; i++)
        {
            output[i] = new double[s.Heads * _headDim];
            for (int h = 0; h < s.Heads; h++)
            {
                int g = h / group;
                var scores = new double[i + 1];
                for (int j = 0; j <= i; j++)
                    for (int d = 0; d < _headDim; d++)
                        scores[j] += q[i][h * _headDim + d] * k[j][g * _headDim + d] * sc;
                double max = scores.Max(), sum = scores.Sum(v2 => Math.Exp(v2 - max));
                for (int j = 0; j <= i; j++)
                    for (int d = 0; d < _headDim; d++)
                        output[i][h * _headDim + d] += Math.Exp(scores[j] - max) / sum * v[j][g * _headDim + d];
            }
        }
        return output;
    }

    private double[] Norm(double[] x, string name, bool layerNorm)
    {
        var w = t[name + ".weight"].Data;
        if (!layerNorm)
        {
            double rms = Math.Sqrt(x.Sum(v => v * v) / x.Length + 1e-5);
            return x.Select((v, i) => v / rms * w[i]).ToArray();
        }
        var b = t[name + ".bias"].Data;
        double mean = x.Average(), variance = x.Sum(v => (v - mean) * (v - mean)) / x.Length;
        return x.Select((v, i) => (v - mean) / Math.Sqrt(variance + 1e-5) * w[i] + b[i]).ToArray();
    }

    private double[][] Project(double[][] x, string name) => x.Select(xi => Project(xi, name)).ToArray();

    private double[] Project(double[] x, string name)
    {
        var (shape, w) = t[name + ".weight"];
        return MatVec(w, (int)shape[0], (int)shape[1], x, t.Has(name + ".bias") ? t[name + ".bias"].Data : null);
    }

    private static double[] MatVec(double[] w, int rows, int cols, double[] x, double[]? bias)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double acc = bias?[r] ?? 0;
            for (int c = 0; c < cols; c++)
                acc += w[r * cols + c] * x[c];
            y[r] = acc;
        }
        return y;
    }

    private static double[] Row(double[] m, int r, int cols) => m.AsSpan(r * cols, cols).ToArray();

    private static double[] Add(double[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();
}
