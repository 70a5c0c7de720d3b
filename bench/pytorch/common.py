"""What the PyTorch anchor scripts share: the CSV formats of SliceGpt.Bench, the timing protocol, statistics and files.

Nothing here imports torch at module level, so ``--help`` and ``--dry-run`` of every script work on a machine without
it (the repository's CI checks them with plain python3). The formats are SliceGpt.Bench's own:

- PRODUCTS_HEADER is ``ProductsCsv.Header`` (bench/SliceGpt.Bench/Gpu/Comparison/ProductsCsv.cs): PyTorch's
  pytorch-products.csv has exactly the columns of the suites' ``*-layer-products.csv``.
- SHAPES_HEADER is ``ShapeList.Header`` (Gpu/ShapeList.cs): the shapes come from ``SliceGpt.Bench --list-shapes``.
- END_TO_END_HEADER is ``EndToEndComparison.Header`` (Gpu/Comparison/EndToEndComparison.cs).

SliceGpt.Bench.Tests reads these three constants from this file and fails when they drift from the C# ones.
"""

import csv
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass

PRODUCTS_HEADER = "model,method,product,tokens,out_features,in_features,median_us,p10_us,p90_us,samples,tflops,case,dtype"
SHAPES_HEADER = "model,method,product,tokens,out_features,in_features,dtype,kind,weight"
END_TO_END_HEADER = ("kind,model,d,batch,seq_len,steps,samples,median_ms,mean_ms,p10_ms,p90_ms,tokens_per_s,status,"
                     "device,engine")

# cuSPARSELt's 16-bit kernels take the dense operand in multiples of 8 rows (PyTorch's semi-structured tensors pad to it).
SPARSE_ROW_MULTIPLE = 8

HERE = os.path.dirname(os.path.abspath(__file__))


class InputError(Exception):
    """Bad input (a file or an argument); the message names the file and field. Scripts exit with code 2."""


def quantile(samples, q):
    """The q-quantile with linear interpolation between order statistics (SliceGpt.Bench's GpuTimings.Quantile)."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    position = q * (len(ordered) - 1)
    lower = int(math.floor(position))
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower])


def number(value):
    """A CSV number: 6 significant digits (C#'s "G6"), NA when not finite."""
    if value is None or not math.isfinite(value):
        return "NA"
    text = f"{value:.6g}"
    return text.replace("e+", "E+").replace("e-", "E-")


def write_csv_atomically(path, header, rows):
    """Writes the header and rows (lists of fields) to a temporary sibling, then renames it over ``path``."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".csv", dir=directory)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as f:
            f.write(header + "\n")
            writer = csv.writer(f, lineterminator="\n")
            for row in rows:
                if len(row) != len(header.split(",")):
                    raise ValueError(f"{path}: a row has {len(row)} fields, the header {len(header.split(','))}")
                writer.writerow(row)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


@dataclass(frozen=True)
class Shape:
    """One row of SliceGpt.Bench's shape list: one product of one layer of one model under one method."""
    model: str
    method: str
    product: str
    tokens: int
    out_features: int
    in_features: int
    dtype: str
    kind: str      # "dense" (cuBLAS) or "sparse24" (2:4 on cuSPARSELt)
    weight: str    # "out_in": y = x W^T with W [out, in]; "in_out": y = x S with S [in, out]

    @property
    def timing_key(self):
        """Products with equal keys are one measurement (q, k, v and o of a 7B layer, say)."""
        return (self.tokens, self.out_features, self.in_features, self.dtype, self.kind, self.weight)

    @property
    def rows(self):
        """Rows the GPU multiplies: 2:4 products pad the tokens to a multiple of 8, as PyTorch's semi-structured tensors do."""
        if self.kind != "sparse24":
            return self.tokens
        return -(-self.tokens // SPARSE_ROW_MULTIPLE) * SPARSE_ROW_MULTIPLE


def read_shapes(path):
    """Reads ``SliceGpt.Bench --list-shapes`` output; raises InputError naming the file, line and field."""
    try:
        f = open(path, newline="", encoding="utf-8")
    except OSError as e:
        raise InputError(f"{path}: cannot read the shape list ({e.strerror})") from e
    with f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(f"{path}: empty (no header line)") from None
        missing = [c for c in SHAPES_HEADER.split(",") if c not in header]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)} (header: {','.join(header)})")
        index = {name: i for i, name in enumerate(header)}
        shapes = []
        for line, fields in enumerate(reader, start=2):
            if not fields or all(not x.strip() for x in fields):
                continue
            if len(fields) != len(header):
                raise InputError(f"{path}, line {line}: {len(fields)} fields, but the header has {len(header)}")

            def field(name):
                return fields[index[name]]

            def integer(name):
                try:
                    value = int(field(name))
                except ValueError:
                    raise InputError(f"{path}, line {line}, field {name}: \"{field(name)}\" is not an integer") from None
                if value <= 0:
                    raise InputError(f"{path}, line {line}, field {name}: {value} is not positive")
                return value

            shape = Shape(field("model"), field("method"), field("product"), integer("tokens"), integer("out_features"),
                          integer("in_features"), field("dtype"), field("kind"), field("weight"))
            if shape.dtype not in ("fp16", "bf16"):
                raise InputError(f"{path}, line {line}, field dtype: \"{shape.dtype}\" is neither fp16 nor bf16")
            if shape.kind not in ("dense", "sparse24"):
                raise InputError(f"{path}, line {line}, field kind: \"{shape.kind}\" is neither dense nor sparse24")
            if shape.weight not in ("out_in", "in_out"):
                raise InputError(f"{path}, line {line}, field weight: \"{shape.weight}\" is neither out_in nor in_out")
            if shape.kind == "sparse24" and shape.weight != "out_in":
                raise InputError(f"{path}, line {line}: a 2:4 product must be a projection (weight out_in)")
            shapes.append(shape)
    if not shapes:
        raise InputError(f"{path}: no shapes")
    return shapes


def group_by_timing(shapes):
    """The distinct measurements in first-seen order: {timing key: [shapes that share it]}."""
    groups = {}
    for s in shapes:
        groups.setdefault(s.timing_key, []).append(s)
    return groups


def product_rows(shapes, median_us, p10_us, p90_us, samples, case):
    """The pytorch-products.csv rows of one measurement, one per product that shares it (as SliceGpt.Bench writes them)."""
    rows = []
    for s in shapes:
        tflops = 2.0 * s.tokens * s.out_features * s.in_features / median_us / 1e6 if median_us and math.isfinite(median_us) else math.nan
        rows.append([s.model, s.method, s.product, str(s.tokens), str(s.out_features), str(s.in_features), number(median_us),
                     number(p10_us), number(p90_us), str(samples), number(tflops), case, s.dtype])
    return rows


def end_to_end_row(kind, batch, seq_len, steps, samples_ms, tokens_per_s, status, device, engine, d=4096, model="Dense"):
    """One pytorch-prefill.csv / pytorch-decode.csv row in END_TO_END_HEADER's order."""
    mean = sum(samples_ms) / len(samples_ms) if samples_ms else math.nan
    return [kind, model, str(d), str(batch), str(seq_len), str(steps), str(len(samples_ms)), number(quantile(samples_ms, 0.5)),
            number(mean), number(quantile(samples_ms, 0.1)), number(quantile(samples_ms, 0.9)), number(tokens_per_s), status,
            device, engine]


def parse_int_list(text, name):
    """"1,16,128" as [1, 16, 128]; raises InputError naming the option."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"{name} {text}: not a comma-separated list of integers") from None
    if not values or any(v <= 0 for v in values):
        raise InputError(f"{name} {text}: needs positive integers")
    return values


def default_config_path():
    """LLAMA-2 7B's public config.json, the one file SliceGpt.Bench's suites read too (source tree, or the bundle's copy)."""
    for candidate in (os.path.join(HERE, "..", "SliceGpt.Bench", "Gpu", "Configs", "llama-2-7b.json"),
                      os.path.join(HERE, "configs", "llama-2-7b.json")):
        if os.path.isfile(candidate):
            return os.path.normpath(candidate)
    return os.path.join(HERE, "configs", "llama-2-7b.json")


def read_config(path):
    """The config.json as a dict; raises InputError naming the file."""
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except OSError as e:
        raise InputError(f"{path}: cannot read the model config ({e.strerror})") from e
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not JSON ({e.msg} at line {e.lineno})") from e
    for key in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size"):
        if not isinstance(config.get(key), int):
            raise InputError(f"{path}: field {key} is missing or not an integer")
    return config


def main_guard(main):
    """Runs ``main()``; an InputError prints one line and exits 2."""
    try:
        sys.exit(main())
    except InputError as e:
        print(f"{os.path.basename(sys.argv[0])}: {e}", file=sys.stderr)
        sys.exit(2)


# --- GPU side (imports torch) -------------------------------------------------------------------------------------------

def require_cuda():
    """Imports torch and checks a CUDA device; raises InputError (exit 2) with the reason otherwise."""
    try:
        import torch
    except ImportError as e:
        raise InputError(f"PyTorch is not installed here ({e}); --dry-run checks the inputs without it") from e
    if not torch.cuda.is_available():
        raise InputError("PyTorch sees no CUDA device")
    return torch


def set_fp32_accumulation(torch):
    """cuBLAS may otherwise reduce fp16/bf16 products in 16 bits (split-K); SliceGpt accumulates in fp32, so PyTorch does too."""
    torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False
    if hasattr(torch.backends.cuda.matmul, "allow_bf16_reduced_precision_reduction"):
        torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = False


def l2_flush_buffer(torch):
    """SliceGpt.Bench's flush: a buffer of 4x the device's L2 (at least 64 MiB), written before each repetition."""
    properties = torch.cuda.get_device_properties(torch.cuda.current_device())
    l2 = getattr(properties, "L2_cache_size", 0) or 0
    size = max(4 * l2, 64 << 20)
    return torch.empty(size // 4, dtype=torch.int32, device="cuda")


def time_repetitions(torch, run, repetitions, flush):
    """
    SliceGpt.Bench's protocol (Gpu/GemmWorkload.cs): for each repetition, write the flush buffer, record a CUDA event, run,
    record a second event; all repetitions are queued before the first wait, so the host runs ahead and no launch gap is
    timed. Returns each repetition's event-to-event GPU time in microseconds.
    """
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(repetitions)]
    stops = [torch.cuda.Event(enable_timing=True) for _ in range(repetitions)]
    flush.zero_()
    for i in range(repetitions):
        flush.zero_()
        starts[i].record()
        run()
        stops[i].record()
    torch.cuda.synchronize()
    return [1000.0 * s.elapsed_time(e) for s, e in zip(starts, stops)]


def device_name(torch):
    return torch.cuda.get_device_name(torch.cuda.current_device())
