"""RTL benchmark on the TRAINED demo SNN (the reference MNIST CNN trained with the demo's activation
sparsity, converted as `fpgasnn demo` does: method best, T = 4, 512 calibration images): for each hardware setting (lanes policy, parallel taps),
simulate the Verilog core on Verilator (cocotb bench, images back to back), check it bit-exactly against
the golden model, compare the measured latency AND interval with the cycle model, and synthesise it with
Yosys (synth_xilinx, xc7) for its resources. Also the random-weight tiny net as a quick check.

    .venv/bin/python bench/rtl.py [--images 50] [--no-synth] [--settings "auto128:1;auto128:all;..."]
                                  [--synth-only "auto192:auto"] [-T 2] [--sparsity 0] [--merge]

A setting is LANES:TAPS (LANES as for ``fpgasnn build --lanes``: N, LAYER=N pairs or autoB; TAPS 1, all
or auto). ``auto192:auto`` is the demo's setting; ``auto128:1`` the lanes of the previous demo at one
kernel tap per cycle (the core before tap-parallel convolutions, now pipelined). ``--merge`` keeps the
records of settings this run does not redo; records are written after each setting. ``-T 2``: the
same reference CNN trained with 2 activation levels and converted at T = 2 (network
``mnist_demo_snn_T2``; trained on first use and cached like the demo's model). ``--sparsity 0``: the
reference CNN trained without the activation-sparsity term (network ``mnist_demo_snn_s0``).

Writes bench/results/rtl.json: flat records with network, lanes, taps, images, mismatches,
cycles_measured, cycles_model, cycles_lower_bound (the latency of an image entering an empty core,
measured with each image sent after the previous one's class beat), interval_cycles_measured,
interval_cycles_model (first beats of images streamed back to back), latency_us, images_per_s (from
the interval), clock_mhz, LUT (logic LUTs and, since 2026-12-03, the LUTs of distributed RAM and
shift registers; LUT_memory: those), FF, BRAM_18K, DSP, res_bits (the conversion's resolution bits:
``none`` since the demo converts at plain units, :data:`fpgasnn.flow.DEMO_RES_TARGET_BITS`), and
where the cycles go (per layer).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from fpgasnn.backends.rtl.check import check
from fpgasnn.backends.rtl.context import build_context
from fpgasnn.backends.rtl.cycles import estimate, project_parallel_update
from fpgasnn.backends.rtl.sim import RtlSim
from fpgasnn.backends.rtl.synth import synth
from fpgasnn.boards import load_board
from fpgasnn.convert.evaluate import res_bits_text
from fpgasnn.data.loaders import load_dataset
from fpgasnn.flow import DEMO_LANES, DEMO_SPARSITY, demo_network
from fpgasnn.hw import HwConfig, HwNetwork, lower
from fpgasnn.hw.stimulus import random_images
from fpgasnn.ir.examples import tiny
from fpgasnn.records import read_records, write_records

OUT = Path(__file__).parent / "results" / "rtl.json"
DEFAULT_SETTINGS = "auto192:auto;auto128:1;auto192:all"


def demo_snn(work: Path, T: int = 4, sparsity: float = DEMO_SPARSITY["mnist"]):
    """The demo's trained, converted SNN (:func:`fpgasnn.flow.demo_network`) and the training images
    its automatic lanes count events on."""
    st, model, conv = demo_network(work / "demo", T=T, sparsity=sparsity)
    print(model.summary, flush=True)
    print(conv.summary, flush=True)
    return st.net, st.calib[0][:16]


def run_one(
    name: str, hw: HwNetwork, taps, images: np.ndarray, clock_mhz: float, do_synth: bool, work: Path
) -> dict:
    t0 = time.time()
    tag = f"{name}_{hw.lanes_policy}_{'-'.join(str(v) for v in hw.taps.values())}"
    sim = RtlSim(hw, None, work / tag)
    sim.build()
    spikes = name == "tiny"
    obs = sim.run(images, spikes=spikes, tag="stream")  # back to back: the interval
    res = check(hw.net, build_context(hw), images, obs, spikes=spikes)
    alone = sim.run(images, spikes=False, isolated=True, tag="alone")  # an empty core: the latency
    res_alone = check(hw.net, build_context(hw), images, alone, spikes=False)
    est = estimate(hw, images)
    meas = float(np.mean(res_alone.cycles_measured))
    interval = float(np.mean(res.intervals_measured)) if res.intervals_measured else float("nan")
    rec = {
        "network": name,
        "lanes": hw.lanes_policy,
        "taps": str(taps),
        "images": res.images,
        "mismatches": max(res.mismatches, res_alone.mismatches),
        "cycles_exact": res.ok
        and res_alone.ok
        and res_alone.cycles_measured == res_alone.cycles_model,
        "interval_exact": res.intervals_measured == res.intervals_model,
        "cycles_measured": meas,
        "cycles_model": float(np.mean(res_alone.cycles_model)),
        "cycles_lower_bound": float(np.mean(est.lower_bound)),
        "cycles_streamed_measured": float(np.mean(res.cycles_measured)),
        "interval_cycles_measured": interval,
        "interval_cycles_model": float(np.mean(res.intervals_model)),
        "interval_cycles_lower_bound": float(np.mean(est.interval_lower_bound)),
        "latency_us": meas / clock_mhz,
        "images_per_s": clock_mhz * 1e6 / interval,
        "clock_mhz": clock_mhz,
        "sim_s": round(time.time() - t0, 1),
        "LUT": None,
        "LUT_memory": None,
        "FF": None,
        "BRAM_18K": None,
        "DSP": None,
        "lanes_per_layer": "/".join(str(v) for v in hw.lanes.values()),
        "taps_per_layer": "/".join(str(v) for v in hw.taps.values()),
    }
    for i, s in enumerate(hw.stages):
        rec[f"layers.{s.name}.busy_cycles"] = float(est.stage_cycles[:, i].mean())
        rec[f"layers.{s.name}.bound_cycles"] = float(est.layer_bound[:, i].mean())
        rec[f"layers.{s.name}.events"] = float(est.events[:, i].mean())
    if do_synth:
        t1 = time.time()
        r = synth(hw, None, work / f"{tag}_synth")
        rec.update(
            LUT=r.LUT,
            LUT_memory=r.LUT_memory,
            FF=r.FF,
            BRAM_18K=r.BRAM_18K,
            DSP=r.DSP,
            synth_s=round(time.time() - t1, 1),
        )
    return rec


def _taps_arg(taps: str):
    return int(taps) if taps.isdigit() else taps


def next_levers(net, calib, hw: HwNetwork, x: np.ndarray) -> list[tuple[str, float, float]]:
    """(lever, mean latency into an empty core, mean interval) for each single change of ``hw``: a
    layer's lanes doubled (lowered and modelled exactly), and (projected, not built) the update pass
    of a banked layer over all its bank columns at once (where that is more than it has); fastest first."""
    out = []
    lanes = {s.name: s.lanes for s in hw.stages}
    taps = {s.name: s.taps if s.taps == 1 else "all" for s in hw.stages if s.op == "conv"}
    for s in hw.stages:
        if s.lanes < s.out_c:
            more = dict(lanes, **{s.name: min(2 * s.lanes, s.out_c)})
            e = estimate(lower(net, HwConfig.make(more, taps=taps), calib), x)
            out.append(
                (f"{s.name} lanes {s.lanes} -> {more[s.name]}", e.alone.mean(), e.interval.mean())
            )
        if s.banks > 1 and not s.is_output and s.bank_grid[1] > s.update_words:
            p = s.bank_grid[1]
            lat, itv = project_parallel_update(hw, x, {s.name: p})
            out.append((f"{s.name} update {p} words per cycle (projected)", lat, itv))
    banked = {
        s.name: s.bank_grid[1]
        for s in hw.stages
        if s.banks > 1 and not s.is_output and s.bank_grid[1] > s.update_words
    }
    if len(banked) > 1:
        lat, itv = project_parallel_update(hw, x, banked)
        out.append((f"{' + '.join(banked)} update over bank columns (projected)", lat, itv))
    return sorted(out, key=lambda r: r[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=50)
    ap.add_argument("--no-synth", action="store_true")
    ap.add_argument(
        "--synth-only",
        default=None,
        metavar="SETTING[;SETTING]",
        help="synthesise these settings of the demo SNN only (default: every setting)",
    )
    ap.add_argument(
        "--sparsity",
        type=float,
        default=DEMO_SPARSITY["mnist"],
        help=f"activation sparsity the reference CNN is trained with (default the demo's, "
        f"{DEMO_SPARSITY['mnist']:g}; network mnist_demo_snn_sS otherwise)",
    )
    ap.add_argument("--settings", default=DEFAULT_SETTINGS)
    ap.add_argument("--no-tiny", action="store_true", help="skip the random-weight tiny net")
    ap.add_argument("--merge", action="store_true", help="keep old records of other settings")
    ap.add_argument(
        "-T",
        type=int,
        default=4,
        help="time steps of the demo SNN (other than 4: the reference CNN trained at L = T)",
    )
    args = ap.parse_args()
    board = load_board("pynq-z2")
    clock = float(board.clock_mhz)
    work = Path(tempfile.mkdtemp(prefix="fpgasnn_bench_rtl_"))
    records: list[dict] = []
    old = read_records(OUT) if args.merge and OUT.exists() else []

    def save(rec: dict) -> None:
        rec["board"] = board.name
        records.append(rec)
        print(rec, flush=True)
        done = {(r["network"], r["lanes"], str(r["taps"])) for r in records}
        write_records(
            OUT,
            [r for r in old if (r["network"], r["lanes"], str(r["taps"])) not in done] + records,
        )

    tnet = tiny()
    for taps in () if args.no_tiny else (1, "all"):
        save(
            run_one(
                "tiny",
                lower(tnet, HwConfig.make(4, taps=taps)),
                taps,
                random_images(tnet, 20, 0),
                clock,
                not args.no_synth,
                work,
            )
        )
    net, calib = demo_snn(work, args.T, args.sparsity)
    demo_name = "mnist_demo_snn" + (f"_T{args.T}" if args.T != 4 else "")
    demo_name += f"_s{args.sparsity:g}" if args.sparsity != DEMO_SPARSITY["mnist"] else ""
    synth_only = None if args.synth_only is None else set(args.synth_only.split(";"))
    x, _ = load_dataset("mnist", "test")
    x = x[: args.images].astype(np.int64)
    for setting in filter(None, args.settings.split(";")):
        lanes, _, taps = setting.partition(":")
        taps = taps or "auto"
        hw = lower(net, HwConfig.make(lanes, taps=taps), calib)
        do_synth = not args.no_synth and (synth_only is None or setting in synth_only)
        rec = run_one(demo_name, hw, taps, x, clock, do_synth, work)
        rec["setting"] = setting
        rec["T"] = args.T
        rec["sparsity"] = args.sparsity
        rec["res_bits"] = res_bits_text(net)
        save(rec)
    print(
        f"{'network':15s} {'lanes':>8s} {'taps':>4s} {'imgs':>4s} {'mism':>4s} {'latency':>8s} "
        f"{'model':>8s} {'bound':>8s} {'interval':>8s} {'us':>7s} {'img/s':>7s} {'LUT':>6s} "
        f"{'FF':>6s} {'BRAM':>5s} {'DSP':>4s}"
    )
    for r in records:
        print(
            f"{r['network']:15s} {r['lanes']:>8s} {r['taps']!s:>4s} {r['images']:4d} "
            f"{r['mismatches']:4d} {r['cycles_measured']:8.0f} {r['cycles_model']:8.0f} "
            f"{r['cycles_lower_bound']:8.0f} {r['interval_cycles_measured']:8.0f} "
            f"{r['latency_us']:7.1f} {r['images_per_s']:7.0f} {r['LUT']!s:>6s} {r['FF']!s:>6s} "
            f"{r['BRAM_18K']!s:>5s} {r['DSP']!s:>4s}"
        )
    demo = [r for r in records if r["network"] == demo_name]
    # the demo's own setting (the fastest that fits pynq-z2) when it ran, else the fastest
    demo_lanes = HwConfig.make(DEMO_LANES["mnist"]).lanes.describe()
    best = next(
        (r for r in demo if r["lanes"] == demo_lanes and r["taps"] == "auto"),
        min(demo, key=lambda r: r["interval_cycles_measured"]),
    )
    print(
        f"\nwhere the cycles go ({best['lanes']}, taps {best['taps']}; exact cycle model; the layers "
        f"run as a pipeline, so the busiest one sets the interval):"
    )
    for k, v in best.items():
        if k.startswith("layers.") and k.endswith(".busy_cycles"):
            name = k.split(".")[1]
            print(
                f"  {name:8s} {v:9.0f} busy cycles per image (bound "
                f"{best[f'layers.{name}.bound_cycles']:8.0f}), "
                f"{best[f'layers.{name}.events']:10.0f} synaptic events"
            )
    best_hw = lower(net, HwConfig.make(best["lanes"], taps=_taps_arg(best["taps"])), calib)
    print(
        f"\nthe next levers for {best['lanes']}, taps {best['taps']} (latency into an empty core / "
        f"interval, cycles; the exact cycle model on the same {len(x)} images; a lever marked "
        "'projected' is a machine not built yet; LUT/BRAM of none of them measured):"
    )
    print(f"  {'as built':58s} {best['cycles_model']:8.0f} / {best['interval_cycles_model']:6.0f}")
    for text, lat, itv in next_levers(net, calib, best_hw, x):
        print(f"  {text:58s} {lat:8.0f} / {itv:6.0f}")


if __name__ == "__main__":
    main()
