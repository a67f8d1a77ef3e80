"""Conversion methods x T on MNIST and Fashion-MNIST: SNN top-1, gap to the quantized ANN, total steps,
mean per-layer off-by-one share, calibration time.

    .venv/bin/python bench/conversion.py [--datasets mnist,fashion_mnist] [--models L4,L2,L1]
        [--methods qcfs,...] [-T 1,2,4,8] [--test-images N] [--calib-images 512] [--jobs 2] [--merge]

Writes bench/results/conversion.json, a list of flat records (dataset, method, T, total_steps, snn_top1_pct,
ann_q_top1_pct, gap_pp, offbyone_pct, calib_s, images, ..., per layer layers.NAME.spike_rate and
layers.NAME.offbyone_pct, and ``command``: the bench command that measured it) and
bench/results/conversion.md (the tables, and each command with its record count and wall time).
The models are the Keras helper's cached reference CNNs (trained on first use), one per ``--models``
tag: ``L<levels>`` (the activation levels it is trained with; ``L4`` is the default reference model),
optionally followed by ``p<noise_p>`` (dual-phase Stage I noisy quantization) and ``e<epochs>``, e.g.
``L1p0.1e10``; records carry the tag as ``model``. Calibration images come from the training split
(seed 0); accuracies on the first ``--test-images`` test images (default all).
``--merge`` keeps the records of an earlier run (other dataset/method/T) in the output files.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from fpgasnn.records import flat_record, write_records

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_METHODS = (
    "qcfs",
    "twostage",
    "twostage_signed",
    "snncal_adv",
    "signed_cal",
    "fastsnn",
    "casc",
    "cos",
    "cos_static",
    "snncal_light",
)


DEFAULT_MODEL = "L4"
DATASETS = ("mnist", "fashion_mnist")
FIRST_COMMAND = "bench/conversion.py --calib-images 2048 --jobs 2"
"""The command of the records written before records carried their own (the L4 tables)."""
_TAG = re.compile(r"L(\d+)(?:p([0-9.]+))?(?:e(\d+))?")


def model_overrides(tag: str) -> dict:
    """The :class:`fpgasnn.keras.models.ModelSpec` overrides a ``--models`` tag names."""
    m = _TAG.fullmatch(tag)
    if m is None:
        raise SystemExit(f"--models: expected tags like L4, L2p0.1 or L1p0.1e10, got {tag!r}")
    out: dict = {"levels": int(m.group(1))}
    if m.group(2):
        out["noise_p"] = float(m.group(2))
    if m.group(3):
        out["epochs"] = int(m.group(3))
    return out


def floatnet(dataset: str, tag: str = DEFAULT_MODEL):
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    from fpgasnn.keras.frontend import from_keras
    from fpgasnn.keras.train import cached_reference_model, default_spec

    return from_keras(
        cached_reference_model(dataset, default_spec(dataset, **model_overrides(tag)))
    )


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
  calib_cpu_s         CPU time of the same passes (all threads of the process; on a shared machine the
                      wall time also counts the other jobs' turns)
All accuracies on the test split of the data set (images = how many)."""


_CACHE: dict = {}  # per worker process: test/calibration data and ANN figures per (dataset, model, n_test)


def _job(args: tuple) -> dict:
    dataset, model, method, T, fnet, n_test, n_calib, float_sim = args
    from fpgasnn.calibrate.common import pick_calibration
    from fpgasnn.convert.evaluate import evaluate_conversion
    from fpgasnn.data import load_dataset

    key = (dataset, model, n_test, n_calib)
    if key not in _CACHE:
        x, y = load_dataset(dataset, "test")
        if n_test:
            x, y = x[:n_test], y[:n_test]
        _CACHE[key] = (
            x,
            y,
            *pick_calibration(*load_dataset(dataset, "train"), n_calib, seed=0),
            {},
        )
    x, y, cx, cy, ann_cache = _CACHE[key]
    t0 = time.perf_counter()
    rec = evaluate_conversion(
        fnet,
        x,
        y,
        T,
        method,
        calib=cx,
        calib_labels=cy,
        float_sim=float_sim,
        dataset=dataset,
        ann_cache=ann_cache,
    )
    rec = {
        "dataset": rec.pop("dataset"),
        "model": model,
        **{f"model_{k}": v for k, v in model_overrides(model).items()},
        **rec,
    }
    rec["wall_s"] = round(time.perf_counter() - t0, 1)
    return rec


def model_of(rec: dict) -> str:
    """A record's model tag (records written before ``--models`` existed are the L4 reference)."""
    return rec.get("model", DEFAULT_MODEL)


def markdown(records: list[dict]) -> str:
    out = [
        "# Conversion methods x T (integer SNN, golden model)",
        "",
        (
            "## Best per data set and number of steps (every step counted; any model, any method; "
            "full test sets)"
        ),
        "",
        "| dataset | total steps | T | SNN top-1 % | model | method | ANN-q top-1 % | calib s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    full = [r for r in records if r["images"] >= 10000]
    for ds, steps in sorted(
        {(r["dataset"], r["total_steps"]) for r in full}, key=lambda k: (k[0] != "mnist", k)
    ):
        rs = [r for r in full if (r["dataset"], r["total_steps"]) == (ds, steps)]
        b = max(rs, key=lambda r: (r["snn_top1_pct"], -r["calib_s"]))
        out.append(
            f"| {ds} | {steps} | {b['T']} | {b['snn_top1_pct']:.2f} | {model_of(b)} | "
            f"{b['method']} | {b['ann_q_top1_pct']:.2f} | {b['calib_s']:.1f} |"
        )
    out.append("")
    for ds, model in dict.fromkeys((r["dataset"], model_of(r)) for r in records):
        rs = [r for r in records if r["dataset"] == ds and model_of(r) == model]
        out += [
            f"## {ds}, model {model}",
            "",
            (
                "| method | T | total steps | test images | ANN-q top-1 % | SNN top-1 % | gap pp | "
                "off-by-one % | float/int agree % | calib s |"
            ),
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rs:
            agree = r.get("float_int_agree_pct")
            out.append(
                f"| {r['method']} | {r['T']} | {r['total_steps']} | {r['images']} | "
                f"{r['ann_q_top1_pct']:.2f} | {r['snn_top1_pct']:.2f} | "
                f"{r['gap_pp']:+.2f} | {r['offbyone_pct']:.2f} | "
                f"{'-' if agree is None else f'{agree:.2f}'} | {r['calib_s']:.1f} |"
            )
        r0 = rs[0]
        out += [
            "",
            (
                f"Model {model} ({describe(model)}): float ANN {r0['ann_float_top1_pct']:.2f} %, "
                f"quantized ANN {r0['ann_q_top1_pct']:.2f} %, integer-weight ANN "
                f"{r0['ann_int_top1_pct']:.2f} % (weight quantization alone)."
            ),
            "",
        ]
    out += ["```", HOW, "```", ""]
    return "\n".join(out)


def describe(tag: str) -> str:
    o = model_overrides(tag)
    words = [f"trained with L = {o['levels']}"]
    if o.get("noise_p"):
        words.append(f"Stage I noise p = {o['noise_p']}")
    if o.get("epochs"):
        words.append(f"{o['epochs']} epochs")
    return ", ".join(words)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument(
        "--models",
        default=DEFAULT_MODEL,
        help="reference models by tag: L<levels>[p<noise_p>][e<epochs>], e.g. L4,L2,L1p0.1",
    )
    ap.add_argument("--methods", default=",".join(DEFAULT_METHODS))
    ap.add_argument("-T", "--steps", default="1,2,4,8")
    ap.add_argument("--test-images", type=int, default=0, help="first N test images (0: all)")
    ap.add_argument(
        "--full-methods",
        default="",
        help="methods always measured on the full test set (the others use --test-images)",
    )
    ap.add_argument("--calib-images", type=int, default=512)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument(
        "--float-sim-methods",
        default="qcfs,twostage,twostage_signed",
        help="methods whose records include the float simulation (float_int_agree_pct); "
        "'all' for every method (it costs about as much as the golden run, x T)",
    )
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument(
        "--merge",
        action="store_true",
        help="keep the earlier run's records for the (dataset, model, method, T) not run now",
    )
    ap.add_argument(
        "--resume",
        action="store_true",
        help="keep ALL the earlier run's records and skip the jobs they already cover "
        "(same number of test images)",
    )
    args = ap.parse_args(argv)
    print(HOW, flush=True)
    datasets = args.datasets.split(",")
    models = args.models.split(",")
    for tag in models:
        model_overrides(tag)  # a bad tag stops here, before any training
    methods = args.methods.split(",")
    steps = [int(t) for t in args.steps.split(",")]
    t0 = time.perf_counter()
    nets = {(ds, tag): floatnet(ds, tag) for ds in datasets for tag in models}
    full = set(filter(None, args.full_methods.split(",")))
    fsim = (
        set(methods) if args.float_sim_methods == "all" else set(args.float_sim_methods.split(","))
    )
    jobs = [
        (
            ds,
            tag,
            m,
            T,
            nets[ds, tag],
            0 if m in full else args.test_images,
            args.calib_images,
            m in fsim,
        )
        for ds in datasets
        for tag in models
        for m in methods
        for T in steps
    ]
    # full-test-set jobs first, then method by method over every data set (a run cut short still has
    # whole methods on both data sets); records keep the table order
    jobs.sort(key=lambda j: (j[5] != 0, methods.index(j[2])))
    now = {(ds, tag, m, T) for ds in datasets for tag in models for m in methods for T in steps}
    command = " ".join(["bench/conversion.py", *(argv if argv is not None else sys.argv[1:])])
    if args.resume:
        kept = earlier(args.out, set())
        done = {(r["dataset"], model_of(r), r["method"], r["T"], r["images"]) for r in kept}
        sizes = {ds: args.test_images or 10000 for ds in datasets}
        jobs = [j for j in jobs if (j[0], j[1], j[2], j[3], j[5] or sizes[j[0]]) not in done]
    else:
        kept = earlier(args.out, now) if args.merge else []
    # spawn, not fork: the parent has TensorFlow loaded (Keras front end), and TF in a forked child hangs
    with ProcessPoolExecutor(
        max_workers=args.jobs, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        records = list(kept)
        for rec in pool.map(_job, jobs):
            rec["command"] = command
            records.append(rec)
            write(
                args.out,
                records,
                datasets,
                {
                    "command": command,
                    "merged_records": len(kept),
                    "complete": False,
                    "wall_s": round(time.perf_counter() - t0, 1),
                },
            )
            print(
                f"{rec['dataset']:>13s} {rec['model']:>6s} {rec['method']:>14s} T={rec['T']} "
                f"steps={rec['total_steps']:2d} SNN {rec['snn_top1_pct']:.2f} % (ANN-q "
                f"{rec['ann_q_top1_pct']:.2f}) gap {rec['gap_pp']:+.2f} pp off-by-one "
                f"{rec['offbyone_pct']:.2f} % calib {rec['calib_s']:.1f} s ({rec['wall_s']:.0f} s)",
                flush=True,
            )
    records = write(
        args.out,
        records,
        datasets,
        {
            "command": command,
            "merged_records": len(kept),
            "complete": True,
            "wall_s": round(time.perf_counter() - t0, 1),
        },
    )
    print(markdown(records))
    return 0


def earlier(out: Path, now: set) -> list[dict]:
    """The records of ``out/conversion.json`` whose (dataset, model, method, T) is not in ``now``."""
    path = out / "conversion.json"
    if not path.is_file():
        return []
    old = json.loads(path.read_text())
    old = (
        old["records"] if isinstance(old, dict) else old
    )  # the first runs wrote {"meta", "records"}
    return [
        flat_record(r) for r in old if (r["dataset"], model_of(r), r["method"], r["T"]) not in now
    ]


def sort_key(rec: dict, datasets: list[str]) -> tuple:
    """Table order: MNIST, Fashion-MNIST, the data sets asked for, others, models by levels (high first) then tag,
    methods in DEFAULT_METHODS order (others after, by name), T."""
    ds, tag, m = rec["dataset"], model_of(rec), rec["method"]
    order = [*DATASETS, *(d for d in datasets if d not in DATASETS)]
    return (
        order.index(ds) if ds in order else len(order),
        ds,
        -model_overrides(tag)["levels"],
        tag,
        DEFAULT_METHODS.index(m) if m in DEFAULT_METHODS else len(DEFAULT_METHODS),
        m,
        rec["T"],
    )


def write(out: Path, records: list[dict], datasets: list[str], meta: dict) -> list[dict]:
    """Write conversion.json and conversion.md (after every record, so a cut-short run leaves its part)."""
    records = sorted(records, key=lambda r: sort_key(r, datasets))
    out.mkdir(parents=True, exist_ok=True)
    write_records(out / "conversion.json", records)
    state = "" if meta["complete"] else " (run still in progress or cut short: partial table)"
    lines = [f"Command: `{meta['command']}`, wall time {meta['wall_s']:.0f} s{state}."]
    counts: dict[str, int] = {}
    for r in records:
        counts[r.get("command", FIRST_COMMAND)] = counts.get(r.get("command", FIRST_COMMAND), 0) + 1
    if set(counts) != {meta["command"]}:
        lines += ["", "Records by command (`--merge` keeps the earlier runs' records):", ""]
        lines += [f"- `{c}`: {n} records" for c, n in counts.items()]
    (out / "conversion.md").write_text(markdown(records) + "\n" + "\n".join(lines) + "\n")
    return records


if __name__ == "__main__":
    raise SystemExit(main())
