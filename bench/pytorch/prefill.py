#!/usr/bin/env python3
"""PyTorch's prefill throughput on the same GPU: the anchor of SliceGpt's end-to-end prefill suite (issue 10).

transformers' LlamaForCausalLM with LLAMA-2 7B's shapes (the same config.json SliceGpt.Bench reads) and random fp16
weights built on the GPU (no download), SDPA attention, eager. One sample is one forward of ``batch`` sequences of
``seq_len`` random tokens with ``labels`` given, so it computes the logits of every position and the loss, as SliceGpt's
prefill sample does (its logits are fp32, its loss a per-row sum); ``use_cache=False``. Timed between CUDA events
recorded before and after each forward on the current stream (launch gaps count, as in SliceGpt's suite), after one
warm-up forward whose loss must be near ln(vocab). Forwards per batch: ``calls`` x max(1, 32 / batch), as SliceGpt's.

Rows: prefill at ``--seq-len`` (128) for every batch of ``--batches`` (SliceGpt's smoke suite: 1,16,128; full: 1,2,4,
... 1024), and at ``--long-seq-len`` (2048) with batch 1. A batch that does not fit is a row with status "out of memory".
Output: pytorch-prefill.csv with common.END_TO_END_HEADER's columns (SliceGpt.Bench merges it into its end-to-end tables).
``--dry-run`` checks the arguments and the config and writes the header only, without torch.
"""

import argparse
import sys
import time

import common
import llama

ENGINE = "transformers eager, SDPA"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="the CSV to write (pytorch-prefill.csv)")
    p.add_argument("--batches", default="1,16,128", help="batches at --seq-len (default: SliceGpt's smoke suite's)")
    p.add_argument("--seq-len", type=int, default=128, help="tokens per sequence (Table 11's 128)")
    p.add_argument("--long-seq-len", type=int, default=2048, help="a batch-1 prefill of this length too (0: none)")
    p.add_argument("--calls", type=int, default=2, help="SliceGpt's calls per case (smoke 2, full 3)")
    p.add_argument("--config", default=common.default_config_path(), help="the model's config.json (LLAMA-2 7B's)")
    p.add_argument("--dry-run", action="store_true", help="check the arguments and config and write the header only")
    args = p.parse_args(argv)
    args.batches = common.parse_int_list(args.batches, "--batches")
    if args.seq_len < 1 or args.long_seq_len < 0 or args.calls < 1:
        raise common.InputError("--seq-len and --calls must be positive, --long-seq-len not negative")
    return args


def cases(args):
    """(batch, seq_len, forwards) of every row, in order."""
    rows = [(b, args.seq_len, args.calls * max(1, 32 // b)) for b in args.batches]
    if args.long_seq_len:
        rows.append((1, args.long_seq_len, args.calls * 2))
    return rows


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = common.read_config(args.config)
    plan = cases(args)
    print(f"{len(plan)} prefill cases: " + ", ".join(f"{b}x{s} ({n} forwards)" for b, s, n in plan))
    if args.dry_run:
        common.write_csv_atomically(args.out, common.END_TO_END_HEADER, [])
        print(f"dry run: wrote the header to {args.out}")
        return 0
    torch = common.require_cuda()
    common.set_fp32_accumulation(torch)
    started = time.time()
    model, attention, version = llama.build_model(torch, config)
    engine = f"{ENGINE} (transformers {version}, attention {attention})"
    print(f"model built in {time.time() - started:.1f} s: {engine}")
    device = common.device_name(torch)
    rows = []
    for batch, seq_len, forwards in plan:
        try:
            samples = measure(torch, model, config, batch, seq_len, forwards)
            median_ms = common.quantile(samples, 0.5)
            rows.append(common.end_to_end_row("prefill", batch, seq_len, 0, samples, batch * seq_len / (median_ms / 1000),
                                              "ok", device, engine, d=config["hidden_size"]))
            print(f"prefill {batch}x{seq_len}: {median_ms:.2f} ms, {batch * seq_len / (median_ms / 1000):,.0f} tokens/s")
        except Exception as e:
            status = "out of memory" if llama.is_out_of_memory(torch, e) else f"failed: {type(e).__name__}: {e}"
            status = status.replace("\n", " ")[:300]
            print(f"prefill {batch}x{seq_len}: {status}", file=sys.stderr)
            rows.append(common.end_to_end_row("prefill", batch, seq_len, 0, [], float("nan"), status, device, engine,
                                              d=config["hidden_size"]))
        torch.cuda.empty_cache()
    common.write_csv_atomically(args.out, common.END_TO_END_HEADER, rows)
    print(f"wrote {len(rows)} rows to {args.out} in {time.time() - started:.0f} s")
    return 0


def measure(torch, model, config, batch, seq_len, forwards):
    """Milliseconds of each of ``forwards`` forwards, after one checked warm-up."""
    tokens = llama.random_tokens(torch, batch, seq_len, config["vocab_size"], seed=batch * 100003 + seq_len)
    with torch.inference_mode():
        out = model(input_ids=tokens, labels=tokens, use_cache=False)
        llama.check_loss(out.loss.item(), config["vocab_size"])
        del out
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(forwards)]
        stops = [torch.cuda.Event(enable_timing=True) for _ in range(forwards)]
        torch.cuda.synchronize()
        for i in range(forwards):
            starts[i].record()
            out = model(input_ids=tokens, labels=tokens, use_cache=False)
            stops[i].record()
            del out
        torch.cuda.synchronize()
    return [s.elapsed_time(e) for s, e in zip(starts, stops)]


if __name__ == "__main__":
    common.main_guard(main)
