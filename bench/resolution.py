"""Resolution bits: float/integer agreement and hardware cost against the target (``--res-target-bits``).

For each target B (0 = plain units), convert and measure:
  agreement: Fashion-MNIST reference CNN, methods qcfs and twostage at T = 2 and 4, first N test images
             (default 5,000): share of images on which the float simulation of the converted SNN
             (integer weights, unrounded bias/threshold/v0) and the integer SNN pick the same class;
  resources: MNIST reference CNN, qcfs at T = 4, the Verilog core at auto128 lanes (events counted on
             16 training images), Yosys synth_xilinx -family xc7: LUT, FF, BRAM_18K, DSP;
  demo (``--demo``, instead of the two above): the demo's trained MNIST SNN converted as
             ``fpgasnn demo`` converts it, on the whole test split the flow tests on: top-1 and
             agreement as above, membrane widths, and the estimate of its Verilog core at the
             demo's lanes (:data:`fpgasnn.flow.DEMO_LANES`; ``fpgasnn.backends.rtl.estimate``).

    .venv/bin/python bench/resolution.py [--targets 0,14,17] [--images 5000] [--no-synth] [--demo]

Writes bench/results/resolution.json (flat records: kind, dataset, method, T, res_target_bits, res_bits,
images, float_int_agree_pct, snn_top1_pct / LUT, FF, BRAM_18K, DSP, membrane_bits; demo records
also LUT_estimate, BRAM_18K_estimate; with --demo: bench/results/resolution_demo.json).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from fpgasnn.convert.evaluate import res_bits_text
from fpgasnn.records import write_records

OUT = Path(__file__).resolve().parent / "results" / "resolution.json"


def agreement_records(targets: list[int], n: int) -> list[dict]:
    from fpgasnn.calibrate.common import pick_calibration
    from fpgasnn.convert.evaluate import evaluate_conversion
    from fpgasnn.data import load_dataset
    from fpgasnn.keras.frontend import from_keras
    from fpgasnn.keras.train import cached_reference_model

    fnet = from_keras(cached_reference_model("fashion_mnist"))
    x, y = load_dataset("fashion_mnist", "test")
    x, y = x[:n], y[:n]
    cx, cy = pick_calibration(*load_dataset("fashion_mnist", "train"), 512, seed=0)
    out = []
    for tgt in targets:
        for method in ("qcfs", "twostage"):
            for T in (2, 4):
                r = evaluate_conversion(
                    fnet,
                    x,
                    y,
                    T,
                    method,
                    calib=cx,
                    calib_labels=cy,
                    dataset="fashion_mnist",
                    res_target_bits=tgt,
                )
                out.append(
                    {
                        "kind": "agreement",
                        "dataset": "fashion_mnist",
                        "method": method,
                        "T": T,
                        "res_target_bits": tgt,
                        "res_bits": r["res_bits"],
                        "images": n,
                        "float_int_agree_pct": r["float_int_agree_pct"],
                        "snn_top1_pct": r["snn_top1_pct"],
                    }
                )
                print(out[-1], flush=True)
    return out


def resource_records(targets: list[int]) -> list[dict]:
    from fpgasnn.backends.rtl.lanes import auto_lanes
    from fpgasnn.backends.rtl.synth import synth
    from fpgasnn.convert.pipeline import convert
    from fpgasnn.data import load_dataset
    from fpgasnn.keras.frontend import from_keras
    from fpgasnn.keras.train import cached_reference_model

    fnet = from_keras(cached_reference_model("mnist"))
    x, _ = load_dataset("mnist", "train")
    out = []
    for tgt in targets:
        net = convert(fnet, 4, "qcfs", res_target_bits=tgt)
        lanes = auto_lanes(net, x[:16], 128)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="fpgasnn_bench_res_") as tmp:
            r = synth(net, lanes, tmp)
        out.append(
            {
                "kind": "resources",
                "dataset": "mnist",
                "method": "qcfs",
                "T": 4,
                "res_target_bits": tgt,
                "res_bits": res_bits_text(net),
                "lanes": "/".join(str(v) for v in lanes.values()),
                "membrane_bits": "/".join(str(n.membrane_bits) for n in net.neurons()),
                "LUT": r.LUT,
                "FF": r.FF,
                "BRAM_18K": r.BRAM_18K,
                "DSP": r.DSP,
                "synth_s": round(time.perf_counter() - t0, 1),
            }
        )
        print(out[-1], flush=True)
    return out


def demo_records(targets: list[int]) -> list[dict]:
    from fpgasnn.backends.rtl.context import build_context
    from fpgasnn.backends.rtl.estimate import estimate
    from fpgasnn.convert.evaluate import evaluate_conversion
    from fpgasnn.convert.pipeline import convert
    from fpgasnn.flow import DEMO_LANES, demo_network
    from fpgasnn.hw import HwConfig, lower

    out = []
    with tempfile.TemporaryDirectory(prefix="fpgasnn_bench_res_demo_") as tmp:
        st, _, _ = demo_network(Path(tmp))  # the demo's model (activation sparsity) and calibration
    cfg = st.cfg
    x, y = st.src.test_set(calib=(cfg.calib_images, cfg.seed))[:2]
    cx, cy = st.calib
    for tgt in targets:
        r = evaluate_conversion(
            st.fnet,
            x,
            y,
            cfg.T,
            cfg.method,
            calib=cx,
            calib_labels=cy,
            dataset="mnist",
            res_target_bits=tgt,
            seed=cfg.seed,
        )
        net = convert(
            st.fnet,
            cfg.T,
            cfg.method,
            calib=cx,
            calib_labels=cy,
            seed=cfg.seed,
            res_target_bits=tgt,
        )
        e = estimate(build_context(lower(net, HwConfig.make(DEMO_LANES["mnist"]))))
        out.append(
            {
                "kind": "demo",
                "dataset": "mnist",
                "method": r["method"],
                "T": cfg.T,
                "res_target_bits": tgt,
                "res_bits": r["res_bits"],
                "images": len(x),
                "float_int_agree_pct": r["float_int_agree_pct"],
                "snn_top1_pct": r["snn_top1_pct"],
                "membrane_bits": "/".join(str(n.membrane_bits) for n in net.neurons()),
                "lanes": "/".join(f"{k}={v}" for k, v in DEMO_LANES["mnist"].items()),
                "LUT_estimate": e.LUT,
                "BRAM_18K_estimate": e.BRAM_18K,
            }
        )
        print(out[-1], flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--targets", default="0,14,17")
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--no-synth", action="store_true")
    ap.add_argument("--demo", action="store_true", help="the demo's SNN instead (module docstring)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    targets = [int(t) for t in args.targets.split(",")]
    if args.demo:
        records = demo_records(targets)
        args.out = args.out or OUT.with_name("resolution_demo.json")
    else:
        records = agreement_records(targets, args.images)
        if not args.no_synth:
            records += resource_records(targets)
        args.out = args.out or OUT
    write_records(args.out, records)
    print(
        f"{'kind':10} {'method':9} {'T':>2} {'target':>6} {'agree %':>8} {'top-1':>7} {'LUT':>7} "
        f"{'BRAM18':>6}  (demo: LUT and BRAM18 estimated)"
    )
    for r in records:
        print(
            f"{r['kind']:10} {r['method']:9} {r['T']:>2} {r['res_target_bits']:>6} "
            f"{r.get('float_int_agree_pct', '-')!s:>8} {r.get('snn_top1_pct', '-')!s:>7} "
            f"{r.get('LUT', r.get('LUT_estimate', '-'))!s:>7} "
            f"{r.get('BRAM_18K', r.get('BRAM_18K_estimate', '-'))!s:>6}"
        )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
