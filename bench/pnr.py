"""Place and route the Verilog core on ECP5 with the open flow (Yosys synth_ecp5, nextpnr-ecp5,
ecppack): post-route utilization, the achieved fmax against the board clock, the critical path,
and the latency at the ACHIEVED fmax.

    .venv/bin/python bench/pnr.py [--only digits_mlp|mnist|mnist_demo_snn] [--board ulx3s-85f]
                                  [--seed 1] [--clock-mhz 100] [--images 100] [--keep]

Networks (the first two with random integer weights, seeded: place and route depends mostly on the
architecture, the lanes and the widths range analysis derives):
- ``digits_mlp``: the 64-32-10 MLP of issue 14 (8x8 digits input, 8-bit pixels), lanes 16;
- ``mnist``: the MNIST demo architecture (``fpgasnn.ir.examples.reference_mnist``: conv16-pool,
  conv32-pool, fc128, fc10), lanes 16, one convolution tap per cycle -- a setting that fits the
  LFE5U-85F (all taps in parallel does not: see ``TAPS``);
- ``mnist_demo_snn``: the demo's TRAINED SNN itself (``fpgasnn demo``'s cached model, converted
  as the demo converts it) at the same setting (lanes 16, one tap per cycle): its widths and ROM
  contents are the trained ones, and its cycles are the trained network's.

A network whose flow fails (a core too big for the part) gets a record with ``error`` (the tool's
last lines) and the run goes on; records are written after each network.

``cycles`` is the exact cycle model's mean over the first ``--images`` test images of the
network's data set (digits / MNIST); ``latency_us`` = cycles / fmax_mhz (the achieved post-route
clock, not ``clock_mhz``). ``clock_mhz`` is the clock checked (pynq-z2's 100 MHz, the clock the
project reports assume); ``met`` says whether fmax reached it. The critical path's start/end
signal, logic levels and the Verilog lines it runs through are in the record. ``--keep`` keeps the
records this run does not redo (a record per network, board and seed: a seed sweep is one run per
seed with ``--keep``). ``--selftest N`` adds, per network, the board self-test on the
first N test images (``NAME_selftest``: Verilator until the done LED, its LEDs against the
expected pass/done/count, then place and route with every port on a board pin at the board's
oscillator clock; ``cycles`` per image and ``latency_us`` at that clock); ``--no-core`` runs only
those.

Writes bench/results/pnr.json (flat records: network, lanes, board, device, LUT4, FF, EBR, MULT18,
fmax_mhz, clock_mhz, met, cycles, latency_us, bitstream_bytes, pnr_s, synth_s, seed,
output_registers (flip-flops folded into block RAM output registers), write_register (1: the core as
built for ECP5, its scatter sum registered before the write), critical_path.*).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from fpgasnn.backends.rtl.emit import TOP, rtl_plan
from fpgasnn.boards import load_board, load_ecp5_board
from fpgasnn.data.loaders import load_dataset
from fpgasnn.errors import FpgasnnError
from fpgasnn.ir.examples import reference_mnist
from fpgasnn.ir.network import Network
from fpgasnn.ir.nodes import Dense, Flatten, Input, Neuron, NeuronKind, Output, Schedule
from fpgasnn.pnr.flow import place_and_route
from fpgasnn.pnr.selftest import (
    board_selftest_plan,
    expected_leds,
    pnr_selftest,
    simulate_selftest,
)
from fpgasnn.records import read_records, write_records
from fpgasnn.report.sources import latency

OUT = Path(__file__).parent / "results" / "pnr.json"
LANES = 16


def digits_mlp(seed: int = 0, T: int = 4) -> Network:
    """64-32-10 MLP on 8x8 8-bit images, random weights in [-7, 7]."""
    rng = np.random.default_rng(seed)
    w1 = rng.integers(-7, 8, size=(32, 64))
    w2 = rng.integers(-7, 8, size=(10, 32))
    th = 2048
    nodes = [
        Input("input", (1, 8, 8), bits=8),
        Flatten("flatten"),
        Dense("fc1", w1, rng.integers(-64, 65, 32)),
        Neuron("sn1", NeuronKind.IF, th, th // 2),
        Dense("fc2", w2, rng.integers(-8, 9, 10)),
        Output("out"),
    ]
    return Network(
        tuple(nodes), Schedule(wake=T), {"source": "bench/pnr.py digits_mlp", "seed": seed}
    )


def mnist_demo_snn() -> Network:
    """The demo's trained, converted MNIST SNN (``fpgasnn demo``'s model, from the model cache;
    trained on first use)."""
    from fpgasnn.flow import demo_network

    with tempfile.TemporaryDirectory(prefix="fpgasnn_bench_pnr_demo_") as tmp:
        st, _, _ = demo_network(Path(tmp))
    return st.net


NETWORKS = {
    "digits_mlp": (digits_mlp, "digits"),
    "mnist": (reference_mnist, "mnist"),
    "mnist_demo_snn": (mnist_demo_snn, "mnist"),
}
TAPS = 1
"""Convolution taps updated per event: 1 (the tap-parallel default, 9 taps x 16 lanes for a 3x3
convolution, needs 144 MULT18 and about 167k LUT4 for the MNIST net: twice the LFE5U-85F)."""


WRITE_REGISTER = True
"""The core as built for ECP5: a scatter's sum registered before it is written
(:attr:`fpgasnn.hw.HwConfig.write_register`; ``--write-register 0``: the Xilinx build's core)."""


def hw_config():
    from fpgasnn.hw import HwConfig

    return HwConfig.make(LANES, taps=TAPS, write_register=WRITE_REGISTER)


def run_one(
    name: str, board_name: str, seed: int, clock_mhz: float, n_images: int, work: Path
) -> dict:
    make, dataset = NETWORKS[name]
    net = make()
    x, _ = load_dataset(dataset, "test")
    cycles = latency(net, hw_config(), load_board("pynq-z2"), x[:n_images].astype(np.int64))[
        "cycles_mean"
    ]
    board = load_ecp5_board(board_name)
    res = place_and_route(
        rtl_plan(net, hw_config()),
        board,
        work / f"{name}_{board_name}",
        clock_mhz=clock_mhz,
        seed=seed,
        top=TOP,
    )
    return {
        "network": name,
        "lanes": LANES,
        "taps": TAPS,
        "write_register": int(WRITE_REGISTER),
        "clock_mhz": clock_mhz,
        "cycles": cycles,
        "latency_us": cycles / res.fmax_mhz,
        **pnr_fields(res, board),
    }


def pnr_fields(res, board) -> dict:
    cp = res.critical_path
    counts = res.counts()
    return {
        "board": board.name,
        "device": board.part,
        "seed": res.seed,
        **{k: counts[k] for k in ("LUT4", "FF", "EBR", "MULT18")},
        "fmax_mhz": res.fmax_mhz,
        "met": res.met,
        "bitstream_bytes": res.bitstream_bytes,
        "pnr_s": res.pnr_s,
        "synth_s": res.synth_s,
        "output_registers": res.output_registers,
        "critical_path": {
            "start": cp.start,
            "end": cp.end,
            "delay_ns": cp.delay_ns,
            "logic_levels": cp.logic_levels,
            "logic_ns": cp.logic_ns,
            "routing_ns": cp.routing_ns,
            "sources": " ".join(cp.sources),
            "next_fix": "" if res.met else cp.next_fix(),
        }
        if cp
        else None,
        "check": res.check(),
    }


def run_selftest(name: str, board_name: str, seed: int, n_images: int, work: Path) -> dict:
    """The board self-test of ``name`` on the first ``n_images`` test images: Verilator until the
    done LED, then place and route with every port on a pin at the board's oscillator clock."""
    make, dataset = NETWORKS[name]
    net = make()
    x, _ = load_dataset(dataset, "test")
    board = load_ecp5_board(board_name)
    st = board_selftest_plan(net, rtl_plan(net, hw_config()), x[:n_images].astype(np.int64), board)
    leds = st.params["LED_W"]
    want = expected_leds(n_images, n_images, leds, board.led_active_low)
    sim = simulate_selftest(st, work / f"{name}_selftest_sim")
    res = pnr_selftest(st, board, work / f"{name}_selftest_{board_name}", seed=seed)
    cycles = sim["cycles"] / n_images
    return {
        "network": f"{name}_selftest",
        "lanes": LANES,
        "taps": TAPS,
        "write_register": int(WRITE_REGISTER),
        "clock_mhz": float(board.clock_mhz),
        "cycles": cycles,
        "latency_us": cycles / float(board.clock_mhz),
        "selftest_images": n_images,
        "selftest_led": sim["led"],
        "selftest_led_expected": want,
        "selftest_ok": bool(sim["done"] and sim["led"] == want),
        **pnr_fields(res, board),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=sorted(NETWORKS), action="append")
    ap.add_argument("--board", default="ulx3s-85f")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clock-mhz", type=float, default=100.0)
    ap.add_argument("--images", type=int, default=100)
    ap.add_argument("--keep", action="store_true", help="keep the records this run does not redo")
    ap.add_argument(
        "--write-register",
        type=int,
        choices=[0, 1],
        default=1,
        help="1 (default): the core as built for ECP5, its scatter sum registered before the "
        "write; 0: the core as built for Xilinx parts",
    )
    ap.add_argument(
        "--selftest",
        type=int,
        default=0,
        metavar="N",
        help="also the board self-test of each network on N test images (Verilator, "
        "then place and route on the board's pins at its oscillator clock)",
    )
    ap.add_argument(
        "--no-core",
        action="store_true",
        help="only the self-tests (with --selftest), not the bare cores",
    )
    args = ap.parse_args()
    global WRITE_REGISTER
    WRITE_REGISTER = bool(args.write_register)
    names = args.only or list(NETWORKS)
    records = []
    with tempfile.TemporaryDirectory(prefix="fpgasnn_bench_pnr_") as tmp:
        for name in names:
            if not args.no_core:
                t0 = time.time()
                try:
                    rec = run_one(
                        name, args.board, args.seed, args.clock_mhz, args.images, Path(tmp)
                    )
                except FpgasnnError as e:  # a core that does not fit: recorded, not fatal
                    rec = failed(name, args.board, e)
                    print(f"{name}: FAILED {rec['error']}", flush=True)
                    records.append(rec)
                    save(records, args.keep)
                    continue
                print(
                    f"{name}: {rec['check']}; LUT4 {rec['LUT4']}, FF {rec['FF']}, "
                    f"EBR {rec['EBR']}, MULT18 {rec['MULT18']}; {rec['cycles']:.0f} cycles = "
                    f"{rec['latency_us']:.1f} us at {rec['fmax_mhz']} MHz "
                    f"({time.time() - t0:.0f} s)",
                    flush=True,
                )
                records.append(rec)
                save(records, args.keep)
            if args.selftest:
                t0 = time.time()
                rec = run_selftest(name, args.board, args.seed, args.selftest, Path(tmp))
                print(
                    f"{rec['network']}: LEDs {rec['selftest_led']:b} (expected "
                    f"{rec['selftest_led_expected']:b}) after {rec['cycles']:.0f} cycles/image; "
                    f"{rec['check']} ({time.time() - t0:.0f} s)",
                    flush=True,
                )
                records.append(rec)
                save(records, args.keep)
    print(f"wrote {OUT}")


def failed(name: str, board_name: str, e: Exception) -> dict:
    tail = " | ".join(ln for ln in str(e).splitlines()[-4:] if ln.strip())
    return {
        "network": name,
        "lanes": LANES,
        "taps": TAPS,
        "write_register": int(WRITE_REGISTER),
        "board": board_name,
        "device": load_ecp5_board(board_name).part,
        "error": tail[-600:],
    }


def _key(r: dict) -> tuple:
    """A record's identity for --keep: network, board, seed and the write register (records
    before it existed: 0)."""
    return (r["network"], r["board"], r.get("seed"), r.get("write_register", 0))


def save(records: list[dict], keep: bool) -> None:
    """Write the records so far (a long run leaves its finished networks if a later one fails)."""
    out = list(records)
    if keep and OUT.is_file():
        done = {_key(r) for r in records}
        out = [r for r in read_records(OUT) if _key(r) not in done] + out
    write_records(OUT, out)


if __name__ == "__main__":
    main()
