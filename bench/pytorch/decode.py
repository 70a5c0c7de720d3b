#!/usr/bin/env python3
"""PyTorch's batch-1 decode latency on the same GPU: the anchor of SliceGpt's decode suite (issue 11).

transformers' LlamaForCausalLM with LLAMA-2 7B's shapes (the config SliceGpt.Bench reads) and random fp16 weights built
on the GPU (no download), SDPA attention, a static KV cache. A ``--prompt``-token prompt (128) is prefilled untimed, then
``--steps`` (128) greedy steps, each feeding the previous step's argmax (kept on the GPU); each step is timed between CUDA
events recorded before and after it, so launch gaps count, as in SliceGpt's decode suite. ms/token is the mean step.

Two engines, one row each:
- ``transformers static cache`` (eager);
- ``transformers static cache + torch.compile`` (mode reduce-overhead, i.e. CUDA graphs, fullgraph; the prefill stays
  eager), run in a child process that must finish within ``--compile-budget-s`` seconds, model build, compilation and
  warm-up included; past the budget the child is stopped and the row says so. ``--compile-budget-s 0`` skips it.
A few warm-up steps (``--warmup``, 3) run before the timed ones (they compile, for torch.compile), so the timed steps
start at position prompt + warmup.

Output: pytorch-decode.csv with common.END_TO_END_HEADER's columns, merged by SliceGpt.Bench into its decode table.
``--dry-run`` checks the arguments and the config and writes the header only, without torch.
"""

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time

import common
import llama

EAGER = "transformers static cache"
COMPILED = "transformers static cache + torch.compile"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="the CSV to write (pytorch-decode.csv)")
    p.add_argument("--prompt", type=int, default=128, help="prompt tokens, prefilled untimed")
    p.add_argument("--steps", type=int, default=128, help="timed greedy steps")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps before the timed ones")
    p.add_argument("--compile-budget-s", type=float, default=300,
                   help="seconds the torch.compile run may take in all (build, compile, warm-up, timing); 0 skips it")
    p.add_argument("--config", default=common.default_config_path(), help="the model's config.json (LLAMA-2 7B's)")
    p.add_argument("--dry-run", action="store_true", help="check the arguments and config and write the header only")
    p.add_argument("--compiled-child", metavar="CSV", help=argparse.SUPPRESS)  # the torch.compile run, in its own process
    args = p.parse_args(argv)
    if args.prompt < 1 or args.steps < 1 or args.warmup < 0 or args.compile_budget_s < 0:
        raise common.InputError("--prompt and --steps must be positive, --warmup and --compile-budget-s not negative")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = common.read_config(args.config)
    if args.compiled_child:
        return compiled_child(args, config)
    print(f"decode: batch 1, {args.steps} steps after a {args.prompt}-token prompt ({args.warmup} warm-up steps); "
          f"torch.compile {'skipped' if args.compile_budget_s == 0 else f'within {args.compile_budget_s:.0f} s'}")
    if args.dry_run:
        common.write_csv_atomically(args.out, common.END_TO_END_HEADER, [])
        print(f"dry run: wrote the header to {args.out}")
        return 0
    torch = common.require_cuda()
    common.set_fp32_accumulation(torch)
    rows = [run_engine(torch, config, args, compiled=False)]
    torch.cuda.empty_cache()
    if args.compile_budget_s > 0:
        rows.append(run_compiled_child(args, common.device_name(torch), config["hidden_size"]))
    common.write_csv_atomically(args.out, common.END_TO_END_HEADER, rows)
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


def run_engine(torch, config, args, compiled):
    """Builds the model and decodes; returns the CSV row (a failure is a row with its status, not an exception)."""
    engine = COMPILED if compiled else EAGER
    device = common.device_name(torch)
    try:
        model, attention, version = llama.build_model(torch, config)
        engine = f"{engine} (transformers {version}, attention {attention})"
        samples = decode(torch, model, config, args, compiled)
        mean = sum(samples) / len(samples)
        print(f"{engine}: {mean:.3f} ms/token, {1000 / mean:.1f} tokens/s")
        return common.end_to_end_row("decode", 1, args.prompt, args.steps, samples, 1000 / mean, "ok", device, engine,
                                     d=config["hidden_size"])
    except Exception as e:
        status = "out of memory" if llama.is_out_of_memory(torch, e) else f"failed: {type(e).__name__}: {e}"
        status = status.replace("\n", " ")[:300]
        print(f"{engine}: {status}", file=sys.stderr)
        return common.end_to_end_row("decode", 1, args.prompt, args.steps, [], float("nan"), status, device, engine,
                                     d=config["hidden_size"])


def decode(torch, model, config, args, compiled):
    """Milliseconds of each timed step."""
    total = args.prompt + args.warmup + args.steps
    cache = llama.make_static_cache(torch, model, 1, total)
    prompt = llama.random_tokens(torch, 1, args.prompt, config["vocab_size"], seed=7)
    step = model.forward
    if compiled:
        step = torch.compile(model.forward, mode="reduce-overhead", fullgraph=True)
    # no_grad rather than inference_mode: CUDA-graph trees (reduce-overhead) are documented with no_grad, as in gpt-fast.
    with torch.no_grad():
        out = model(input_ids=prompt, past_key_values=cache, cache_position=torch.arange(args.prompt, device="cuda"),
                    use_cache=True)
        token = out.logits[:, -1].argmax(dim=-1, keepdim=True)
        positions = [torch.tensor([p], device="cuda") for p in range(args.prompt, total)]
        for i in range(args.warmup):
            out = step(input_ids=token, past_key_values=cache, cache_position=positions[i], use_cache=True)
            token = out.logits[:, -1].argmax(dim=-1, keepdim=True)
        torch.cuda.synchronize()
        if not torch.isfinite(out.logits).all().item():
            raise RuntimeError("non-finite logits after the warm-up steps: not timing a broken decode")
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(args.steps)]
        stops = [torch.cuda.Event(enable_timing=True) for _ in range(args.steps)]
        for i in range(args.steps):
            starts[i].record()
            out = step(input_ids=token, past_key_values=cache, cache_position=positions[args.warmup + i], use_cache=True)
            token = out.logits[:, -1].argmax(dim=-1, keepdim=True)
            stops[i].record()
        torch.cuda.synchronize()
    return [s.elapsed_time(e) for s, e in zip(starts, stops)]


def run_compiled_child(args, device, d):
    """Runs the torch.compile engine in a child process within the budget; returns its row, or a row saying why not."""
    handle, path = tempfile.mkstemp(prefix="decode-compiled-", suffix=".csv")
    os.close(handle)
    command = [sys.executable, os.path.abspath(__file__), "--out", path, "--compiled-child", path, "--prompt", str(args.prompt),
               "--steps", str(args.steps), "--warmup", str(args.warmup), "--config", args.config]
    started = time.time()
    # A session of its own, so that the compiler's worker processes stop with it when the budget runs out.
    child = subprocess.Popen(command, start_new_session=True)
    try:
        code = child.wait(timeout=args.compile_budget_s)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        os.remove(path)
        status = f"skipped: torch.compile did not finish within its {args.compile_budget_s:.0f} s budget"
        print(f"{COMPILED}: {status}", file=sys.stderr)
        return common.end_to_end_row("decode", 1, args.prompt, args.steps, [], float("nan"), status, device, COMPILED, d=d)
    try:
        rows = read_rows(path)
        if code != 0 or len(rows) != 1:
            status = f"failed: the torch.compile process exited with code {code}"
            return common.end_to_end_row("decode", 1, args.prompt, args.steps, [], float("nan"), status, device, COMPILED, d=d)
        print(f"{COMPILED}: finished in {time.time() - started:.0f} s of its {args.compile_budget_s:.0f} s budget")
        return rows[0]
    finally:
        os.remove(path)


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        lines = list(csv.reader(f))
    return lines[1:] if lines and ",".join(lines[0]) == common.END_TO_END_HEADER else []


def compiled_child(args, config):
    torch = common.require_cuda()
    common.set_fp32_accumulation(torch)
    row = run_engine(torch, config, args, compiled=True)
    common.write_csv_atomically(args.compiled_child, common.END_TO_END_HEADER, [row])
    return 0


if __name__ == "__main__":
    common.main_guard(main)
