#!/usr/bin/env python3
"""PyTorch's per-matmul products on the same GPU, with SliceGpt.Bench's protocol, for the "vs PyTorch" columns.

Reads the shape list of SliceGpt.Bench's per-matmul suite (``SliceGpt.Bench --list-shapes smoke|full --out shapes.csv``:
the one source of the shapes, so the two engines cannot time different products) and times each distinct product:

- dense (cuBLAS through PyTorch): ``torch.matmul(x, w.t(), out=y)`` for a projection (W [out, in], F.linear's convention)
  and ``torch.matmul(x, s, out=y)`` for a shortcut matrix (S [in, out]), fp16 or bf16, with cuBLAS's reduced-precision
  reductions off so that it accumulates in fp32 as SliceGpt does;
- 2:4: ``torch.sparse.to_sparse_semi_structured`` on the magnitude-pruned weight with the cuSPARSELt backend, called as
  ``torch.nn.functional.linear(x, w_sparse)``; once with PyTorch's default algorithm (alg 0) and, where this PyTorch has
  ``torch._cslt_sparse_mm_search``, once with the searched algorithm; the faster counts (the ``case`` column says which and
  gives both). The activations are pre-padded to a multiple of 8 rows, so PyTorch's own padding (a copy) is not timed,
  as SliceGpt's padded rows are not.

Protocol, as SliceGpt.Bench's: each repetition writes an L2 flush buffer (4x L2, at least 64 MiB), then CUDA events
around the product alone; all repetitions queued before the first wait; median, p10 and p90 of the event times. One
correctness check per product before timing (a few rows against fp64).

Output: pytorch-products.csv with exactly the columns of SliceGpt.Bench's ``*-layer-products.csv`` (common.PRODUCTS_HEADER),
one row per product of the shape list, ``method`` as SliceGpt's (Dense, SparseGPT 2:4, SliceGPT (25%) ...).
``--dry-run`` reads and checks the shape list and writes the header only, without torch.
"""

import argparse
import math
import sys
import time
import zlib

import common


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shapes", required=True, help="the shape list from `SliceGpt.Bench --list-shapes smoke|full --out FILE`")
    p.add_argument("--out", required=True, help="the CSV to write (pytorch-products.csv)")
    p.add_argument("--samples", type=int, default=50,
                   help="timed products per distinct shape (SliceGpt.Bench: 50 in the smoke suite, 200 in the full one)")
    p.add_argument("--warmup", type=int, default=3, help="untimed products per shape after the correctness check")
    p.add_argument("--no-sparse-search", action="store_true", help="time 2:4 with PyTorch's default algorithm only")
    p.add_argument("--dry-run", action="store_true", help="check the shape list and write the header only; needs no torch")
    args = p.parse_args(argv)
    if args.samples < 1:
        raise common.InputError(f"--samples {args.samples}: needs at least 1")
    if args.warmup < 0:
        raise common.InputError(f"--warmup {args.warmup}: cannot be negative")
    return args


def plan(shapes):
    """One line per distinct measurement, for --dry-run and the log."""
    groups = common.group_by_timing(shapes)
    lines = [f"{len(shapes)} products, {len(groups)} distinct measurements"]
    for (tokens, out_f, in_f, dtype, kind, weight), members in groups.items():
        lines.append(f"  {tokens}x{out_f}x{in_f} {dtype} {kind} {weight}: {len(members)} product(s)")
    return lines


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    shapes = common.read_shapes(args.shapes)
    for line in plan(shapes):
        print(line)
    if args.dry_run:
        common.write_csv_atomically(args.out, common.PRODUCTS_HEADER, [])
        print(f"dry run: wrote the header to {args.out}")
        return 0
    torch = common.require_cuda()
    common.set_fp32_accumulation(torch)
    rows = []
    flush = common.l2_flush_buffer(torch)
    started = time.time()
    for key, members in common.group_by_timing(shapes).items():
        try:
            samples, case = measure(torch, members[0], args, flush)
            rows += common.product_rows(members, common.quantile(samples, 0.5), common.quantile(samples, 0.1),
                                        common.quantile(samples, 0.9), len(samples), case)
        except Exception as e:  # one shape failing (out of memory, a missing backend) must not lose the others
            reason = f"failed: {type(e).__name__}: {e}".replace("\n", " ")[:300]
            print(f"{key}: {reason}", file=sys.stderr)
            rows += common.product_rows(members, math.nan, math.nan, math.nan, 0, reason)
        torch.cuda.empty_cache()
    common.write_csv_atomically(args.out, common.PRODUCTS_HEADER, rows)
    print(f"wrote {len(rows)} rows to {args.out} in {time.time() - started:.0f} s on {common.device_name(torch)}")
    return 0


def measure(torch, shape, args, flush):
    """Times one distinct product; returns (samples in microseconds, the case text)."""
    dtype = torch.float16 if shape.dtype == "fp16" else torch.bfloat16
    generator = torch.Generator(device="cuda").manual_seed(zlib.crc32(repr(shape.timing_key).encode()))
    # x ~ U(-1, 1), w ~ U(-1, 1)/sqrt(in): outputs near unit scale, as SliceGpt.Bench's operands.
    x = (torch.rand(shape.rows, shape.in_features, device="cuda", generator=generator) * 2 - 1).to(dtype)
    scale = 1.0 / math.sqrt(shape.in_features)
    w_shape = (shape.in_features, shape.out_features) if shape.weight == "in_out" else (shape.out_features, shape.in_features)
    w = ((torch.rand(*w_shape, device="cuda", generator=generator) * 2 - 1) * scale).to(dtype)
    if shape.kind == "dense":
        y = torch.empty(shape.rows, shape.out_features, device="cuda", dtype=dtype)
        operand = w if shape.weight == "in_out" else w.t()

        def run():
            torch.matmul(x, operand, out=y)

        check(torch, x, w if shape.weight == "in_out" else w.t(), run, lambda: y, shape)
        return time_it(torch, run, args, flush), f"torch.matmul {shape.dtype}"
    return measure_sparse(torch, shape, x, w, args, flush)


def measure_sparse(torch, shape, x, w, args, flush):
    """2:4 through to_sparse_semi_structured (cuSPARSELt); default algorithm, and the searched one where available."""
    from torch.sparse import SparseSemiStructuredTensor, to_sparse_semi_structured
    SparseSemiStructuredTensor._FORCE_CUTLASS = False   # the cuSPARSELt backend, not CUTLASS
    pruned = prune_two_four(torch, w)
    w_sparse = to_sparse_semi_structured(pruned)
    backend = type(w_sparse).__name__
    if "CUSPARSELT" not in backend.upper():
        raise RuntimeError(f"to_sparse_semi_structured gave {backend}, not the cuSPARSELt backend")
    result = {}

    def run():
        result["y"] = torch.nn.functional.linear(x, w_sparse)

    check(torch, x, pruned.t(), run, lambda: result["y"], shape)
    default = time_it(torch, run, args, flush)
    case = f"to_sparse_semi_structured cuSPARSELt {shape.dtype} alg 0: {common.quantile(default, 0.5):.1f} us"
    if args.no_sparse_search or not hasattr(torch, "_cslt_sparse_mm_search") or not hasattr(w_sparse, "alg_id_cusparselt"):
        return default, case + " (no search)"
    try:
        alg = int(torch._cslt_sparse_mm_search(w_sparse.packed, x.t()))
    except Exception as e:  # an older or newer PyTorch without a usable search: the default stands
        return default, case + f" (search failed: {type(e).__name__})"
    w_sparse.alg_id_cusparselt = alg
    check(torch, x, pruned.t(), run, lambda: result["y"], shape)
    searched = time_it(torch, run, args, flush)
    case += f"; searched alg {alg}: {common.quantile(searched, 0.5):.1f} us"
    if common.quantile(searched, 0.5) < common.quantile(default, 0.5):
        return searched, case + " (searched counts)"
    return default, case + " (alg 0 counts)"


def prune_two_four(torch, w):
    """Magnitude 2:4 along the inputs: the two largest of every four consecutive entries of a row kept."""
    out_f, in_f = w.shape
    groups = w.reshape(out_f, in_f // 4, 4)
    keep = groups.abs().topk(2, dim=-1).indices
    mask = torch.zeros_like(groups, dtype=torch.bool).scatter_(-1, keep, True)
    return (groups * mask).reshape(out_f, in_f).contiguous()


def check(torch, x, w_in_out, run, output, shape):
    """
    A few output rows against fp64 before anything is timed (|y - ref| <= 1e-3 + 2^-10 |ref| for fp16, 2^-7 for bf16:
    twice the output's rounding, as SliceGpt.Bench's GemmCheck).
    """
    run()
    torch.cuda.synchronize()
    y = output()
    rows = sorted({0, shape.tokens - 1, shape.tokens // 2})
    reference = x[rows].double() @ w_in_out.double()
    actual = y[rows].double()
    rtol = 2 ** -10 if shape.dtype == "fp16" else 2 ** -7
    excess = ((actual - reference).abs() - (1e-3 + rtol * reference.abs())).max().item()
    if not excess <= 0:
        raise RuntimeError(f"{shape.tokens}x{shape.out_features}x{shape.in_features} {shape.kind}: output differs from fp64 "
                           f"by {excess:.3g} beyond the tolerance; not timing it")


def time_it(torch, run, args, flush):
    for _ in range(args.warmup):
        run()
    torch.cuda.synchronize()
    return common.time_repetitions(torch, run, args.samples, flush)


if __name__ == "__main__":
    common.main_guard(main)
