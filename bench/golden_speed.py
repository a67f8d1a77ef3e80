"""Images per second of the golden simulator at T = 4 on the reference MNIST-sized conv net.

Network: fpgasnn.ir.examples.reference_mnist (1x28x28 -> conv16 -> pool -> conv32 -> pool -> dense64 ->
dense10, random int8 weights, IF neurons); inputs: seeded random uint8 images. ``batch`` is the number of
images handed to one simulate() call (it simulates them in cache-sized chunks internally). The
simulator runs ``--repeats`` times over ``--images`` images; the table shows the median and the best.
Writes bench/results/golden_speed.json: records with T, batch, images_per_s (median wall clock),
images_per_s_best, images_per_cpu_s (images per CPU-second of this process: what the machine's other
jobs disturb least) and the 1-minute load average during the run (the machine is shared).

Run: .venv/bin/python bench/golden_speed.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from fpgasnn.golden import simulate
from fpgasnn.ir import examples


def measure(T: int, batch: int, images: int, repeats: int) -> dict:
    net = examples.reference_mnist(seed=0, T=T)
    x = np.random.default_rng(1).integers(0, 256, size=(images, 1, 28, 28), dtype=np.uint8)
    simulate(net, x[: min(batch, images)])  # warm-up
    rates, cpu_rates = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(0, images, batch):
            simulate(net, x[i : i + batch])
        rates.append(images / (time.perf_counter() - t0))
        cpu_rates.append(images / (time.process_time() - c0))
    return {
        "network": "reference_mnist(random int8 weights)",
        "T": T,
        "batch": batch,
        "images": images,
        "repeats": repeats,
        "images_per_s": round(statistics.median(rates), 1),
        "images_per_s_best": round(max(rates), 1),
        "images_per_cpu_s": round(statistics.median(cpu_rates), 1),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("-T", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "golden_speed.json"))
    args = ap.parse_args()
    records = [measure(args.T, 1, 64, args.repeats), measure(args.T, 256, 2048, args.repeats)]
    print(
        f"{'T':>3} {'batch':>6} {'images':>7} {'img/s (median)':>15} {'img/s (best)':>13} "
        f"{'img/CPU-s':>10} {'load':>5}"
    )
    for r in records:
        print(
            f"{r['T']:>3} {r['batch']:>6} {r['images']:>7} {r['images_per_s']:>15.1f} "
            f"{r['images_per_s_best']:>13.1f} {r['images_per_cpu_s']:>10.1f} {r['load_avg_1min']:>5.2f}"
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(records, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
