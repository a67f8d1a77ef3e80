"""RTL back end benchmark: for each network and lanes setting, simulate the Verilog core on Verilator
(cocotb bench), check it bit-exactly against the golden model, compare the measured cycles with the
cycle model and the lower bound, and synthesise it with Yosys (synth_xilinx, xc7) for its resources.
Also tabulates cycles against the input spike rate (the cycle model, exact by the benches).

    .venv/bin/python bench/rtl.py [--images 50] [--no-synth] [--quick] [--mnist-lanes "16;32;auto128"]
                                  [--keep]

MNIST lanes settings are separated by ";": a number, LAYER=N pairs (``conv2=32,fc1=64``) or ``autoB``
(:func:`fpgasnn.backends.rtl.lanes.auto_lanes` with a budget of B lanes, events counted on the images).
``--keep`` keeps the records of bench/results/rtl.json that this run does not redo.

Writes bench/results/rtl.json (flat records: network, lanes -- one number, or per layer "16/32/64/16" with
lanes_spec and lanes.LAYER --, images, mismatches, cycles_measured, cycles_model, cycles_lower_bound,
images_per_s, clock_mhz, board, LUT, FF, BRAM_18K, DSP) and bench/results/rtl_spike_rate.json (cycles of the
MNIST reference SNN at lanes 16 against its spike rate, input images scaled down).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from fpgasnn.boards import load_board

from fpgasnn.backends.hls.stimulus import random_images
from fpgasnn.backends.rtl.check import check
from fpgasnn.backends.rtl.context import build_context
from fpgasnn.backends.rtl.cycles import estimate
from fpgasnn.backends.rtl.lanes import auto_lanes
from fpgasnn.backends.rtl.sim import RtlSim
from fpgasnn.backends.rtl.synth import synth
from fpgasnn.data.loaders import load_dataset
from fpgasnn.ir.examples import reference_mnist, tiny
from fpgasnn.records import read_records, write_records

OUT = Path(__file__).parent / "results" / "rtl.json"
OUT_RATE = OUT.with_name("rtl_spike_rate.json")
RATE_LANES = 16


def mnist_images(n: int) -> np.ndarray:
    x, _ = load_dataset("mnist", "test")
    return x[:n].astype(np.int64)


def run_one(name, net, lanes, images, clock_mhz, do_synth, work: Path, spikes: bool) -> dict:
    t0 = time.time()
    tag = lanes if isinstance(lanes, int) else "_".join(f"{k}{v}" for k, v in lanes.items())
    sim = RtlSim(net, lanes, work / f"{name}_L{tag}")
    sim.build()
    obs = sim.run(images, spikes=spikes)
    res = check(net, build_context(net, lanes), images, obs, spikes=spikes)
    sim_s = time.time() - t0
    meas = float(np.mean(res.cycles_measured))
    rec = {
        "network": name, "lanes": lanes, "images": res.images, "mismatches": res.mismatches,
        "cycles_exact": res.cycles_measured == res.cycles_model,
        "cycles_measured": meas, "cycles_model": float(np.mean(res.cycles_model)),
        "cycles_lower_bound": float(np.mean(res.cycles_lower_bound)),
        "measured_over_bound": meas / max(float(np.mean(res.cycles_lower_bound)), 1.0),
        "us_per_image": meas / clock_mhz, "images_per_s": clock_mhz * 1e6 / (meas + 1),
        "clock_mhz": clock_mhz, "spikes_checked": spikes, "sim_s": round(sim_s, 1),
        "LUT": None, "FF": None, "BRAM_18K": None, "DSP": None,
    }
    if do_synth:
        t1 = time.time()
        r = synth(net, lanes, work / f"{name}_L{tag}_synth")
        rec.update(LUT=r.LUT, FF=r.FF, BRAM_18K=r.BRAM_18K, DSP=r.DSP, synth_s=round(time.time() - t1, 1))
    return rec


def spike_rate_table(net, images, lanes) -> list[dict]:
    """Cycles (model) against input density: images scaled by f/8, f = 8..1."""
    rows = []
    for f in (8, 6, 4, 3, 2, 1):
        x = images * f // 8
        est = estimate(net, x, lanes)
        from fpgasnn.golden import simulate
        r = simulate(net, x)
        neurons = sum(int(np.prod(s.out_shape)) for s in net.stages()[:-1])
        rate = float(np.mean(sum(r.spike_events.values()))) / (neurons * net.schedule.total)
        rows.append({"network": "reference_mnist", "lanes": lanes, "images": len(x),
                     "input_scale": f / 8, "spike_rate": rate, "cycles_model": float(est.cycles.mean()),
                     "cycles_lower_bound": float(est.lower_bound.mean())})
    return rows


def breakdown(net, images, lanes) -> list[dict]:
    """Where the cycles go (the exact cycle model): per layer its lanes, synaptic events, events/lanes
    (its share of the lower bound), scatter and update cycles."""
    ctx = build_context(net, lanes)
    est = estimate(net, images, ctx=ctx)
    steps = net.schedule.total
    rows = []
    for i, s in enumerate(ctx.stages):
        upd = (s.npos * s.och + 2) * steps
        total = float(est.stage_cycles[:, i].mean())
        rows.append({"layer": s.name, "lanes": s.lanes, "out_channels": s.out_channels,
                     "ops_per_event": s.ops, "events": float(est.events[:, i].mean()),
                     "events_per_lane": float(est.events[:, i].mean()) / s.lanes,
                     "update_cycles": upd, "other_cycles": total - upd, "cycles": total})
    rows.append({"layer": "total", "cycles": float(est.cycles.mean()),
                 "lower_bound": float(est.lower_bound.mean())})
    return rows


def print_breakdown(net, images, spec: str) -> None:
    rows = breakdown(net, images, parse_spec(spec, net, images))
    print(f"lanes {spec}: {len(images)} images")
    print(f"{'layer':8s} {'lanes':>5s} {'O':>4s} {'ops/ev':>6s} {'events':>10s} {'ev/lane':>9s} "
          f"{'update':>7s} {'scatter+io':>10s} {'cycles':>9s}")
    for r in rows[:-1]:
        print(f"{r['layer']:8s} {r['lanes']:5d} {r['out_channels']:4d} {r['ops_per_event']:6d} "
              f"{r['events']:10.0f} {r['events_per_lane']:9.0f} {r['update_cycles']:7d} "
              f"{r['other_cycles']:10.0f} {r['cycles']:9.0f}")
    t = rows[-1]
    print(f"total {t['cycles']:.0f} cycles, lower bound {t['lower_bound']:.0f} "
          f"(ratio {t['cycles'] / t['lower_bound']:.2f})")


def parse_spec(spec: str, net, images):
    """"16" -> 16; "conv2=32,fc1=64" -> dict; "auto128" -> auto_lanes(net, images, 128)."""
    if spec.startswith("auto"):
        return auto_lanes(net, images, int(spec[4:] or 128))
    if "=" in spec:
        return {k: int(v) for k, v in (p.split("=") for p in spec.split(","))}
    return int(spec)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=50)
    ap.add_argument("--no-synth", action="store_true")
    ap.add_argument("--quick", action="store_true", help="tiny net only")
    ap.add_argument("--mnist-lanes", default="16;32;auto128")
    ap.add_argument("--tiny-lanes", default="1;4")
    ap.add_argument("--keep", action="store_true", help="keep old records this run does not redo")
    ap.add_argument("--breakdown", metavar="LANES", help="only print the per-layer cycle breakdown of "
                    "reference_mnist on the MNIST images for these lanes (cycle model, seconds)")
    args = ap.parse_args()
    if args.breakdown:
        print_breakdown(reference_mnist(), mnist_images(args.images), args.breakdown)
        return
    board = load_board("pynq-z2")
    clock = float(board.clock_mhz)
    work = Path(tempfile.mkdtemp(prefix="fpgasnn_bench_rtl_"))
    records = []
    tnet = tiny()
    for lanes in (int(v) for v in filter(None, args.tiny_lanes.split(";"))):
        records.append(run_one("tiny", tnet, lanes, random_images(tnet, args.images, 0), clock,
                               not args.no_synth, work, True))
        print(records[-1], flush=True)
    rate_rows = []
    if not args.quick:
        mnet = reference_mnist()
        x = mnist_images(args.images)
        for spec in filter(None, args.mnist_lanes.split(";")):
            lanes = parse_spec(spec, mnet, x)
            records.append(run_one("reference_mnist", mnet, lanes, x, clock, not args.no_synth, work,
                                   False))
            records[-1]["lanes_spec"] = spec
            print(records[-1], flush=True)
        rate_rows = spike_rate_table(mnet, x[:10], RATE_LANES)
    for r in records:
        r["board"] = board.name
        if isinstance(r["lanes"], dict):  # per layer: "16/32/64/16" in layer order, and lanes.LAYER
            r.update({f"lanes.{k}": v for k, v in r["lanes"].items()})
            r["lanes"] = "/".join(str(v) for v in r["lanes"].values())
    if args.keep and OUT.exists():
        old = read_records(OUT)
        done = {(r["network"], str(r["lanes"])) for r in records}
        records = [r for r in old if (r["network"], str(r["lanes"])) not in done] + records
        if not rate_rows and OUT_RATE.exists():
            rate_rows = read_records(OUT_RATE)
    write_records(OUT, records)
    write_records(OUT_RATE, rate_rows)
    print(f"{'network':16s} {'lanes':>5s} {'imgs':>4s} {'mism':>4s} {'cyc meas':>10s} {'model':>10s} "
          f"{'bound':>10s} {'meas/bnd':>8s} {'us/img':>8s} {'img/s':>8s} {'LUT':>6s} {'FF':>6s} "
          f"{'BRAM':>5s} {'DSP':>4s}")
    for r in records:
        print(f"{r['network']:16s} {r.get('lanes_spec', r['lanes'])!s:>5s} {r['images']:4d} {r['mismatches']:4d} "
              f"{r['cycles_measured']:10.0f} {r['cycles_model']:10.0f} {r['cycles_lower_bound']:10.0f} "
              f"{r['measured_over_bound']:8.2f} {r['us_per_image']:8.1f} {r['images_per_s']:8.0f} "
              f"{r['LUT']!s:>6s} {r['FF']!s:>6s} {r['BRAM_18K']!s:>5s} {r['DSP']!s:>4s}")
    for row in rate_rows:
        print(f"spike rate {row['spike_rate']:.3f}: {row['cycles_model']:.0f} cycles "
              f"(bound {row['cycles_lower_bound']:.0f})")


if __name__ == "__main__":
    main()
