"""Conversion methods x T on MNIST and Fashion-MNIST: SNN top-1, gap to the quantized ANN, total steps,
mean per-layer off-by-one share, calibration time.

    .venv/bin/python bench/conversion.py [--datasets mnist,fashion_mnist] [--methods qcfs,...]
        [-T 1,2,4,8] [--test-images N] [--calib-images 512] [--jobs 2] [--merge]

Writes bench/results/conversion.json, a list of flat records (dataset, method, T, total_steps, snn_top1_pct,
ann_q_top1_pct, gap_pp, offbyone_pct, calib_s, images, ..., per layer layers.NAME.spike_rate and
layers.NAME.offbyone_pct) and bench/results/conversion.md (the tables, the command and its wall time).
The models are the Keras helper's cached reference CNNs (trained on first use). Calibration images come
from the training split (seed 0); accuracies on the first ``--test-images`` test images (default all).
``--merge`` keeps the records of an earlier run (other dataset/method/T) in the output files.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from fpgasnn.records import flat_record, write_records

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_METHODS = ("qcfs", "twostage", "twostage_signed", "snncal_adv", "signed_cal", "fastsnn", "casc", "cos", "cos_static",
                   "snncal_light")


def floatnet(dataset: str):
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    from fpgasnn.keras.frontend import from_keras
    from fpgasnn.keras.train import cached_reference_model

    return from_keras(cached_reference_model(dataset))


HOW = """How each figure is obtained (per dataset, method and T):
  ann_float_top1_pct  float ANN: the Keras model's weights, each quantizer replaced by ReLU clipped at lambda
  ann_q_top1_pct      quantized ANN (L levels, float weights): the reference of the gap
  ann_int_top1_pct    quantized ANN with the integer SNN's 8-bit weights/thresholds scaled back
  snn_top1_pct        golden integer simulator (fpgasnn.golden.simulate) on the converted network
  gap_pp              ann_q_top1_pct - snn_top1_pct (percentage points)
  total_steps         every step the core runs: presim + T wake + sleep steps
  offbyone_pct        mean over hidden layers of the share of (image, neuron) pairs whose spike count
                      differs from the quantized ANN's level for T (integer-weight ANN pre-activations)
  float_int_agree_pct share of test images on which a float64 simulation of the same converted SNN
                      (integer weights, unrounded biases/thresholds/initial membranes) picks the same class
  calib_s             wall time of the method's calibration passes (calibration images: training split)
All accuracies on the test split of the data set (images = how many)."""


_CACHE: dict = {}  # per worker process: test/calibration data and ANN figures per (dataset, n_test)


def _job(args: tuple) -> dict:
    dataset, method, T, fnet, n_test, n_calib, float_sim = args
    from fpgasnn.calibrate.common import pick_calibration
    from fpgasnn.convert.evaluate import evaluate_conversion
    from fpgasnn.data import load_dataset

    key = (dataset, n_test, n_calib)
    if key not in _CACHE:
        x, y = load_dataset(dataset, "test")
        if n_test:
            x, y = x[:n_test], y[:n_test]
        _CACHE[key] = (x, y, *pick_calibration(*load_dataset(dataset, "train"), n_calib, seed=0), {})
    x, y, cx, cy, ann_cache = _CACHE[key]
    t0 = time.perf_counter()
    rec = evaluate_conversion(fnet, x, y, T, method, calib=cx, calib_labels=cy, float_sim=float_sim,
                              dataset=dataset, ann_cache=ann_cache)
    rec["wall_s"] = round(time.perf_counter() - t0, 1)
    return rec


def markdown(records: list[dict]) -> str:
    out = ["# Conversion methods x T (integer SNN, golden model)", ""]
    for ds in dict.fromkeys(r["dataset"] for r in records):
        rs = [r for r in records if r["dataset"] == ds]
        out += [f"## {ds}", "",
                ("| method | T | total steps | test images | ANN-q top-1 % | SNN top-1 % | gap pp | "
                 "off-by-one % | float/int agree % | calib s |"),
                "|---|---|---|---|---|---|---|---|---|---|"]
        for r in rs:
            agree = r.get("float_int_agree_pct")
            out.append(f"| {r['method']} | {r['T']} | {r['total_steps']} | {r['images']} | "
                       f"{r['ann_q_top1_pct']:.2f} | {r['snn_top1_pct']:.2f} | "
                       f"{r['gap_pp']:+.2f} | {r['offbyone_pct']:.2f} | "
                       f"{'-' if agree is None else f'{agree:.2f}'} | {r['calib_s']:.1f} |")
        r0 = rs[0]
        out += ["", (f"Float ANN {r0['ann_float_top1_pct']:.2f} %, quantized ANN {r0['ann_q_top1_pct']:.2f} %, "
                     f"integer-weight ANN {r0['ann_int_top1_pct']:.2f} % (weight quantization alone)."), ""]
    out += ["```", HOW, "```", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="mnist,fashion_mnist")
    ap.add_argument("--methods", default=",".join(DEFAULT_METHODS))
    ap.add_argument("-T", "--steps", default="1,2,4,8")
    ap.add_argument("--test-images", type=int, default=0, help="first N test images (0: all)")
    ap.add_argument("--full-methods", default="",
                    help="methods always measured on the full test set (the others use --test-images)")
    ap.add_argument("--calib-images", type=int, default=512)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--float-sim-methods", default="qcfs,twostage,twostage_signed",
                    help="methods whose records include the float simulation (float_int_agree_pct); "
                         "'all' for every method (it costs about as much as the golden run, x T)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--merge", action="store_true",
                    help="keep the earlier run's records for the (dataset, method, T) not run now")
    ap.add_argument("--resume", action="store_true",
                    help="keep ALL the earlier run's records and skip the jobs they already cover "
                         "(same number of test images)")
    args = ap.parse_args(argv)
    print(HOW, flush=True)
    datasets = args.datasets.split(",")
    methods = args.methods.split(",")
    steps = [int(t) for t in args.steps.split(",")]
    t0 = time.perf_counter()
    nets = {ds: floatnet(ds) for ds in datasets}
    full = set(filter(None, args.full_methods.split(",")))
    fsim = set(methods) if args.float_sim_methods == "all" else set(args.float_sim_methods.split(","))
    jobs = [(ds, m, T, nets[ds], 0 if m in full else args.test_images, args.calib_images, m in fsim)
            for ds in datasets for m in methods for T in steps]
    # full-test-set jobs first, then method by method over every data set (a run cut short still has
    # whole methods on both data sets); records keep the table order
    jobs.sort(key=lambda j: (j[4] != 0, methods.index(j[1])))
    order = {(ds, m, T): k for k, (ds, m, T) in enumerate(
        (ds, m, T) for ds in datasets for m in methods for T in steps)}
    command = " ".join(["bench/conversion.py", *(argv if argv is not None else sys.argv[1:])])
    if args.resume:
        kept = earlier(args.out, set())
        done = {(r["dataset"], r["method"], r["T"], r["images"]) for r in kept}
        sizes = {ds: args.test_images or 10000 for ds in datasets}
        jobs = [j for j in jobs if (j[0], j[1], j[2], j[4] or sizes[j[0]]) not in done]
    else:
        kept = earlier(args.out, set(order)) if args.merge else []
    for r in kept:
        order.setdefault((r["dataset"], r["method"], r["T"]), len(order))
    order = {k: i for i, k in enumerate(sorted(order, key=lambda k: (
        k[0] not in datasets, datasets.index(k[0]) if k[0] in datasets else 0,
        DEFAULT_METHODS.index(k[1]) if k[1] in DEFAULT_METHODS else len(DEFAULT_METHODS), k[1], k[2])))}
    # spawn, not fork: the parent has TensorFlow loaded (Keras front end), and TF in a forked child hangs
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        records = list(kept)
        for rec in pool.map(_job, jobs):
            records.append(rec)
            write(args.out, records, order, {"command": command, "merged_records": len(kept), "complete": False,
                                             "wall_s": round(time.perf_counter() - t0, 1)})
            print(f"{rec['dataset']:>13s} {rec['method']:>14s} T={rec['T']} steps={rec['total_steps']:2d} "
                  f"SNN {rec['snn_top1_pct']:.2f} % (ANN-q {rec['ann_q_top1_pct']:.2f}) gap "
                  f"{rec['gap_pp']:+.2f} pp off-by-one {rec['offbyone_pct']:.2f} % calib "
                  f"{rec['calib_s']:.1f} s ({rec['wall_s']:.0f} s)", flush=True)
    records = write(args.out, records, order, {"command": command, "merged_records": len(kept), "complete": True,
                                               "wall_s": round(time.perf_counter() - t0, 1)})
    print(markdown(records))
    return 0


def earlier(out: Path, now: set) -> list[dict]:
    """The records of ``out/conversion.json`` whose (dataset, method, T) is not in ``now``."""
    path = out / "conversion.json"
    if not path.is_file():
        return []
    old = json.loads(path.read_text())
    old = old["records"] if isinstance(old, dict) else old  # the first runs wrote {"meta", "records"}
    return [flat_record(r) for r in old if (r["dataset"], r["method"], r["T"]) not in now]


def write(out: Path, records: list[dict], order: dict, meta: dict) -> list[dict]:
    """Write conversion.json and conversion.md (after every record, so a cut-short run leaves its part)."""
    records = sorted(records, key=lambda r: order[(r["dataset"], r["method"], r["T"])])
    out.mkdir(parents=True, exist_ok=True)
    write_records(out / "conversion.json", records)
    state = "" if meta["complete"] else " (run still in progress or cut short: partial table)"
    (out / "conversion.md").write_text(markdown(records) + f"\nCommand: `{meta['command']}`, "
                                       f"wall time {meta['wall_s']:.0f} s{state}.\n")
    return records


if __name__ == "__main__":
    raise SystemExit(main())
