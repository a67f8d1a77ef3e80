"""Fewer synaptic events at the source (issue 12): the reference MNIST CNN trained with the
activation-sparsity term (``fpgasnn train --sparsity S``), converted as `fpgasnn demo` does (method
best, T = 4, 512 calibration images), against the same CNN trained without it.

    .venv/bin/python bench/sparsity.py [--sparsity 0,0.1,0.3] [--images 10000] [--cycle-images 100]
                                       [--lanes auto192] [--taps auto]

Per sparsity weight: the quantized ANN's and the integer SNN's top-1 on the first ``--images`` MNIST
test images (golden model), the spikes per image of each hidden layer and the synaptic events per
image (golden), and the core's cycles per image from the exact cycle model (latency of an image
entering an empty core, and the interval of images streamed back to back) at the demo's hardware
setting. Models are trained on first use and cached like the demo's (weight 0.01 is the demo's model).

Writes bench/results/sparsity.json: flat records with sparsity, T, ann_top1_pct, snn_top1_pct,
images, spikes_per_image, events_per_image, cycles_model, interval_cycles_model, images_per_s
(at 100 MHz, from the interval), train_s (training when not cached, plus the conversion), and per
layer spikes_LAYER / events_LAYER / busy_LAYER.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from fpgasnn.records import write_records

OUT = Path(__file__).parent / "results" / "sparsity.json"
CLOCK_MHZ = 100.0


def one(weight: float, work: Path, args) -> dict:
    from fpgasnn.backends.rtl.cycles import estimate
    from fpgasnn.flow import demo_network
    from fpgasnn.golden import simulate
    from fpgasnn.hw import HwConfig, lower

    t0 = time.perf_counter()
    st, model, conv = demo_network(work / f"s{weight:g}", sparsity=weight)
    train_s = time.perf_counter() - t0  # (training, when not cached, and the conversion)
    print(f"sparsity {weight:g}: {model.summary}", flush=True)
    print(f"  {conv.summary}", flush=True)
    cfg = st.cfg
    x, y = st.src.test_set(calib=(cfg.calib_images, cfg.seed))[:2]
    n = min(args.images, len(x))
    res = simulate(st.net, x[:n], trace=True)
    snn = 100.0 * float(np.mean(res.classes == np.asarray(y[:n])))
    hw = lower(st.net, HwConfig.make(args.lanes, taps=args.taps), st.calib[0][:16])
    m = min(args.cycle_images, n)
    est = estimate(hw, x[:m])
    rec = {
        "sparsity": weight,
        "T": st.net.schedule.wake,
        "ann_top1_pct": round(model.data["ann_q_top1_pct"], 2),
        "snn_top1_pct": round(snn, 2),
        "images": n,
        "cycle_images": m,
        "lanes": args.lanes,
        "taps": args.taps,
        "train_s": round(train_s, 1),
    }
    total = 0.0
    for s in hw.stages[:-1]:
        spk = res.trace.spikes[s.act_name]  # (steps, images, C, ...)
        per = float(np.abs(spk).sum()) / n
        rec[f"spikes_{s.name}"] = round(per, 1)
        total += per
    rec["spikes_per_image"] = round(total, 1)
    ev = est.events.mean(axis=0)
    for s, e, b in zip(hw.stages, ev, est.stage_cycles.mean(axis=0), strict=True):
        rec[f"events_{s.name}"] = round(float(e), 1)
        rec[f"busy_{s.name}"] = round(float(b), 1)
    rec["events_per_image"] = round(float(ev.sum()), 1)
    rec["cycles_model"] = round(float(est.alone.mean()), 1)
    rec["interval_cycles_model"] = round(float(est.interval.mean()), 1)
    rec["images_per_s"] = round(CLOCK_MHZ * 1e6 / rec["interval_cycles_model"], 1)
    return rec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sparsity", default="0,0.1,0.3", help="comma-separated loss weights")
    ap.add_argument("--images", type=int, default=10000, help="test images for top-1 and spikes")
    ap.add_argument("--cycle-images", type=int, default=100, help="test images for the cycle model")
    ap.add_argument("--lanes", default="auto192", help="the demo's lanes (default auto192)")
    ap.add_argument("--taps", default="auto", help="the demo's parallel taps (default auto)")
    ap.add_argument("-o", "--output", type=Path, default=OUT)
    args = ap.parse_args()
    weights = [float(w) for w in args.sparsity.split(",") if w.strip()]
    recs = []
    with tempfile.TemporaryDirectory(prefix="fpgasnn_bench_sparsity_") as tmp:
        for w in weights:
            recs.append(one(w, Path(tmp), args))
            write_records(args.output, recs)
    keys = ("sparsity", "ann_top1_pct", "snn_top1_pct", "spikes_per_image", "events_per_image")
    keys += ("cycles_model", "interval_cycles_model", "images_per_s")
    print(" | ".join(keys))
    for r in recs:
        print(" | ".join(str(r[k]) for k in keys))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
