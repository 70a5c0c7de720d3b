"""The PyTorch anchor scripts' host side, with plain python3 and no torch: statistics, CSV formats, the shape list,
argument parsing, dry runs and the torch.compile child's budget. Run: python3 -m unittest discover -s bench/pytorch/tests"""

import csv
import io
import math
import os
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import common  # noqa: E402
import decode  # noqa: E402
import prefill  # noqa: E402
import products  # noqa: E402

SHAPES = """model,method,product,tokens,out_features,in_features,dtype,kind,weight
llama-2-7b,Dense,q,2048,4096,4096,fp16,dense,out_in
llama-2-7b,Dense,k,2048,4096,4096,fp16,dense,out_in
llama-2-7b,SparseGPT 2:4,q,1,4096,4096,fp16,sparse24,out_in
llama-2-7b,SliceGPT (25%),attn shortcut,2048,3072,3072,bf16,dense,in_out
llama-2-7b,SliceGPT (25%),mlp shortcut,2048,3072,3072,bf16,dense,in_out
"""


class Temp(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def path(self, name, text=None):
        p = os.path.join(self.dir.name, name)
        if text is not None:
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)
        return p

    def run_quietly(self, main, argv):
        with redirect_stdout(io.StringIO()):
            return main(argv)


class Statistics(unittest.TestCase):
    def test_quantiles_interpolate_between_order_statistics_as_the_csharp_suites_do(self):
        samples = [4.0, 1.0, 3.0, 2.0]
        self.assertEqual(common.quantile(samples, 0.5), 2.5)
        self.assertAlmostEqual(common.quantile(samples, 0.1), 1.3)   # position 0.3 between 1 and 2
        self.assertAlmostEqual(common.quantile(samples, 0.9), 3.7)
        self.assertTrue(math.isnan(common.quantile([], 0.5)))

    def test_numbers_are_written_like_csharp_g6(self):
        self.assertEqual(common.number(747.2114), "747.211")
        self.assertEqual(common.number(1.33156e10), "1.33156E+10")
        self.assertEqual(common.number(float("nan")), "NA")
        self.assertEqual(common.number(None), "NA")


class Csv(Temp):
    def test_rows_are_quoted_and_the_file_appears_whole(self):
        out = self.path("a.csv")
        common.write_csv_atomically(out, "x,y", [["SliceGPT (25%)", "a, b"], ["1", 'say "hi"']])
        with open(out, encoding="utf-8") as f:
            self.assertEqual(f.read(), 'x,y\nSliceGPT (25%),"a, b"\n1,"say ""hi"""\n')

    def test_a_malformed_row_leaves_no_file(self):
        out = self.path("b.csv")
        with self.assertRaises(ValueError):
            common.write_csv_atomically(out, "x,y", [["only one"]])
        self.assertFalse(os.path.exists(out))
        self.assertEqual([f for f in os.listdir(self.dir.name) if f.startswith(".tmp-")], [])

    def test_product_rows_have_the_products_header_s_columns(self):
        shapes = common.read_shapes(self.path("s.csv", SHAPES))
        group = common.group_by_timing(shapes)[(2048, 4096, 4096, "fp16", "dense", "out_in")]
        rows = common.product_rows(group, 100.0, 99.0, 101.0, 50, "torch.matmul fp16")
        self.assertEqual([r[2] for r in rows], ["q", "k"])
        self.assertEqual(len(rows[0]), len(common.PRODUCTS_HEADER.split(",")))
        self.assertEqual(rows[0][10], common.number(2 * 2048 * 4096 * 4096 / 100.0 / 1e6))
        self.assertEqual(rows[0][12], "fp16")

    def test_end_to_end_rows_have_the_end_to_end_header_s_columns(self):
        row = common.end_to_end_row("decode", 1, 128, 128, [10.0, 12.0, 11.0], 1000 / 11.0, "ok", "NVIDIA H200", "eager")
        header = common.END_TO_END_HEADER.split(",")
        self.assertEqual(len(row), len(header))
        values = dict(zip(header, row))
        self.assertEqual((values["median_ms"], values["mean_ms"], values["samples"]), ("11", "11", "3"))
        self.assertEqual(values["engine"], "eager")


class ShapeList(Temp):
    def test_shapes_group_into_measurements_and_2to4_rows_pad_to_eight(self):
        shapes = common.read_shapes(self.path("s.csv", SHAPES))
        groups = common.group_by_timing(shapes)
        self.assertEqual(len(shapes), 5)
        self.assertEqual(len(groups), 3)
        sparse = shapes[2]
        self.assertEqual((sparse.tokens, sparse.rows), (1, 8))
        self.assertEqual(shapes[0].rows, 2048)

    def test_errors_name_the_file_line_and_field(self):
        cases = {
            "tokens": (SHAPES.replace("q,2048,4096", "q,x,4096", 1), "line 2, field tokens"),
            "dtype": (SHAPES.replace("fp16,dense", "fp8,dense", 1), "line 2, field dtype"),
            "kind": (SHAPES.replace("fp16,dense", "fp16,sparse", 1), "line 2, field kind"),
            "weight": (SHAPES.replace("dense,out_in", "dense,io", 1), "line 2, field weight"),
            "fields": (SHAPES + "a,b\n", "line 7: 2 fields"),
            "header": ("model,method\n", "missing column"),
            "empty": ("", "empty"),
            "sparse shortcut": (SHAPES.replace("bf16,dense,in_out", "bf16,sparse24,in_out", 1), "a 2:4 product must be a projection"),
        }
        for name, (text, expected) in cases.items():
            with self.subTest(name):
                with self.assertRaises(common.InputError) as e:
                    common.read_shapes(self.path(f"{name}.csv", text))
                self.assertIn(expected, str(e.exception))
                self.assertIn(f"{name}.csv", str(e.exception))


class Arguments(Temp):
    def test_products_dry_run_writes_the_header_only(self):
        out = self.path("pytorch-products.csv")
        self.assertEqual(self.run_quietly(products.main, ["--shapes", self.path("s.csv", SHAPES), "--out", out, "--dry-run"]), 0)
        with open(out, encoding="utf-8") as f:
            self.assertEqual(f.read(), common.PRODUCTS_HEADER + "\n")

    def test_products_plan_lists_each_measurement(self):
        lines = products.plan(common.read_shapes(self.path("s.csv", SHAPES)))
        self.assertEqual(lines[0], "5 products, 3 distinct measurements")
        self.assertIn("1x4096x4096 fp16 sparse24 out_in: 1 product(s)", lines[2])

    def test_products_rejects_bad_counts(self):
        with self.assertRaises(common.InputError):
            products.parse_args(["--shapes", "s", "--out", "o", "--samples", "0"])

    def test_prefill_cases_follow_the_csharp_schedule(self):
        args = prefill.parse_args(["--out", "o", "--batches", "1,16,128", "--calls", "2"])
        self.assertEqual(prefill.cases(args), [(1, 128, 64), (16, 128, 4), (128, 128, 2), (1, 2048, 4)])
        args = prefill.parse_args(["--out", "o", "--batches", "64", "--long-seq-len", "0", "--calls", "3"])
        self.assertEqual(prefill.cases(args), [(64, 128, 3)])

    def test_prefill_and_decode_reject_bad_arguments(self):
        for bad in (["--batches", "1,0"], ["--batches", "a"], ["--seq-len", "0"], ["--calls", "0"]):
            with self.subTest(bad), self.assertRaises(common.InputError):
                prefill.parse_args(["--out", "o"] + bad)
        for bad in (["--steps", "0"], ["--prompt", "0"], ["--compile-budget-s", "-1"]):
            with self.subTest(bad), self.assertRaises(common.InputError):
                decode.parse_args(["--out", "o"] + bad)

    def test_prefill_and_decode_dry_runs_write_the_end_to_end_header(self):
        for script, name in ((prefill, "pytorch-prefill.csv"), (decode, "pytorch-decode.csv")):
            with self.subTest(name):
                out = self.path(name)
                self.assertEqual(self.run_quietly(script.main, ["--out", out, "--dry-run"]), 0)
                with open(out, encoding="utf-8") as f:
                    self.assertEqual(f.read(), common.END_TO_END_HEADER + "\n")

    def test_the_default_config_is_the_suites_llama_2_7b(self):
        config = common.read_config(common.default_config_path())
        self.assertEqual((config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"], config["vocab_size"]),
                         (4096, 11008, 32, 32000))

    def test_a_bad_config_is_named(self):
        with self.assertRaises(common.InputError) as e:
            common.read_config(self.path("c.json", '{"hidden_size": 1}'))
        self.assertIn("c.json: field intermediate_size", str(e.exception))

    def test_scripts_exit_2_with_one_line_on_bad_input(self):
        result = subprocess.run([sys.executable, os.path.join(os.path.dirname(HERE), "products.py"), "--shapes",
                                 self.path("missing.csv"), "--out", self.path("o.csv")], capture_output=True, text=True)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1)
        self.assertIn("missing.csv: cannot read the shape list", result.stderr)


class CompiledChild(Temp):
    def test_a_child_that_fails_gives_a_failed_row(self):
        # Without torch the child exits 2 at once: the parent reports it, it does not raise.
        args = decode.parse_args(["--out", "o", "--compile-budget-s", "120"])
        row = dict(zip(common.END_TO_END_HEADER.split(","), decode.run_compiled_child(args, "no GPU", 4096)))
        self.assertEqual(row["status"], "failed: the torch.compile process exited with code 2")
        self.assertEqual((row["kind"], row["engine"], row["median_ms"]), ("decode", decode.COMPILED, "NA"))

    def test_a_child_past_its_budget_is_stopped_and_says_so(self):
        args = decode.parse_args(["--out", "o", "--compile-budget-s", "0.001"])
        row = dict(zip(common.END_TO_END_HEADER.split(","), decode.run_compiled_child(args, "no GPU", 4096)))
        self.assertEqual(row["status"], "skipped: torch.compile did not finish within its 0 s budget")


class Headers(unittest.TestCase):
    def test_the_headers_are_valid_csv_without_duplicates(self):
        for header in (common.PRODUCTS_HEADER, common.SHAPES_HEADER, common.END_TO_END_HEADER):
            fields = next(csv.reader([header]))
            self.assertEqual(len(fields), len(set(fields)), header)


if __name__ == "__main__":
    unittest.main()
