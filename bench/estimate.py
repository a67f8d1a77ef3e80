"""How good is the resource estimate (:mod:`fpgasnn.backends.rtl.estimate`) that the ``fit`` lanes
setting searches with? Every calibration core is synthesised with Yosys (synth_xilinx xc7, as
``fpgasnn synth``) and compared with the estimate.

    .venv/bin/python bench/estimate.py [--fit] [--demo] [--only NAME[:LANES]] [--cached]
    .venv/bin/python bench/estimate.py --memories

``--fit`` refits the logic-LUT and flip-flop coefficients to the calibration cores (non-negative least
squares on the relative error) and prints them (they are constants in the module: paste them there);
the error columns always come from the module's constants. ``--demo`` adds the TRAINED demo SNN at
its hand-chosen lanes (a calibration core: the largest) and at the lanes and taps ``fit90`` chooses
for pynq-z2 (15-20 min of Yosys each): a core the coefficient fit never saw, and the check that what
the search chose fits the part in Yosys's counts, too. Yosys results are cached in
``bench/cache/estimate_cells.json`` (committed) under the Verilog sources' hash and the core's parameters, so
a rerun synthesises only what changed.

``--memories`` only puts single memories through Yosys (:data:`SINGLE`, a minute) and compares the
cells they map to with the estimate's per-memory rules (no file written).

Writes bench/results/estimate.json: records with network, lanes, taps, LUT, LUT_est, LUT_err_pct,
FF, FF_est, BRAM_18K, BRAM_18K_est, DSP, DSP_est, synth_s, in_fit; for the demo SNN's cores also the
cycle model on the first 100 MNIST test images: cycles_model (latency into an empty core),
interval_cycles_model, latency_us at 100 MHz.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

from fpgasnn.backends.plan import write_plan
from fpgasnn.backends.rtl import estimate as est
from fpgasnn.backends.rtl.context import build_context
from fpgasnn.backends.rtl.cycles import estimate as cycle_model
from fpgasnn.backends.rtl.emit import rtl_plan
from fpgasnn.backends.rtl.fit import fit as fit_board
from fpgasnn.backends.rtl.synth import count_cells, synth_dir
from fpgasnn.boards import load_board
from fpgasnn.data.loaders import load_dataset
from fpgasnn.hw import HwConfig, lower
from fpgasnn.ir.examples import random_network, reference_mnist, tiny
from fpgasnn.ir.network import Network
from fpgasnn.ir.nodes import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    Input,
    Neuron,
    NeuronKind,
    Output,
    Schedule,
)
from fpgasnn.records import write_records

RESULTS = Path(__file__).parent / "results"
OUT = RESULTS / "estimate.json"
CACHE = Path(__file__).parent / "cache" / "estimate_cells.json"
VERILOG = Path(est.__file__).parent / "verilog"


def mid(seed: int = 0, c1: int = 8, c2: int = 16, hidden: int = 32) -> Network:
    """1x14x14 -> conv c1 3x3 same -> pool2 -> conv c2 3x3 same -> pool2 -> dense hidden -> dense 10:
    the reference CNN's shape at a quarter of its size (random integer weights)."""
    rng = np.random.default_rng(seed)
    w1 = rng.integers(-127, 128, size=(c1, 1, 3, 3))
    w2 = rng.integers(-127, 128, size=(c2, c1, 3, 3))
    w3 = rng.integers(-127, 128, size=(hidden, c2 * 3 * 3))
    w4 = rng.integers(-127, 128, size=(10, hidden))
    nodes = [
        Input("input", (1, 14, 14), bits=8),
        Conv2D("conv1", w1, rng.integers(-500, 500, c1), padding=(1, 1, 1, 1)),
        Neuron("sn1", NeuronKind.IF, 4000, 2000),
        AvgPool2D("pool1", 2),
        Conv2D("conv2", w2, rng.integers(-200, 200, c2), padding=(1, 1, 1, 1)),
        Neuron("sn2", NeuronKind.SIGNED_IF, 900, 450),
        AvgPool2D("pool2", 2),
        Flatten("flatten"),
        Dense("fc3", w3, rng.integers(-200, 200, hidden)),
        Neuron("sn3", NeuronKind.IF, 900, 450),
        Dense("logits", w4, rng.integers(-50, 51, 10)),
        Output("out"),
    ]
    return Network(
        tuple(nodes), Schedule(wake=4), {"source": "bench/estimate.py mid", "seed": seed}
    )


def designs(with_demo: bool) -> list[tuple[str, object, object, object, bool, bool]]:
    """(network name, network factory, lanes, taps, in the fit, registered write) of every
    calibration core. The cores with a registered write (the ECP5 build) are each the twin of the
    core before them: ``--fit`` fits :data:`fpgasnn.backends.rtl.estimate.WRITE_REGISTER_COEF` on
    their differences."""
    out = [
        ("tiny", tiny, 4, 1, True, False),
        ("tiny", tiny, 4, "all", True, False),
        ("tiny", tiny, 10, "all", True, False),
        ("random3", lambda: random_network(3), 2, 1, True, False),
        ("random5", lambda: random_network(5), 4, "all", True, False),
        ("random8", lambda: random_network(8), 3, "all", True, False),
        ("mid", mid, 4, 1, True, False),
        ("mid", mid, 4, 1, False, True),
        ("mid", mid, 8, "all", True, False),
        ("mid", mid, 8, "all", False, True),
        ("mid", mid, "conv1=8,conv2=16,fc3=32,logits=10", "all", True, False),
        (
            "mid_wide",
            lambda: mid(1, 16, 32, 64),
            "conv1=16,conv2=16,fc3=32,logits=10",
            "all",
            True,
            False,
        ),
        ("mnist_random", reference_mnist, 16, 1, False, False),
    ]
    if with_demo:
        for lanes in ("conv1=16,conv2=16,fc3=128,logits=10", "conv1=16,conv2=16,fc3=64,logits=10"):
            out.append(("mnist_demo_snn", None, lanes, "auto", True, False))  # and fc3 halved
        out.append(("mnist_demo_snn", None, "fit90", "auto", False, False))
    return out


@functools.cache
def _demo_net():
    """The demo's trained SNN and the 16 training images its events are counted on (converted once
    for both of its cores)."""
    from fpgasnn.flow import demo_network

    work = Path(tempfile.mkdtemp(prefix="fpgasnn_est_demo_"))
    st, _model, _conv = demo_network(work / "demo")
    return st.net, st.calib[0][:16]


RAM_V = """module m #(parameter D = 2, parameter W = 1) (input clk, input we,
  input [$clog2(D)-1:0] wa, input [$clog2(D)-1:0] ra, input [W-1:0] wd, output reg [W-1:0] q);
  (* no_rw_check *) reg [W-1:0] mem [0:D-1];
  reg [W-1:0] r;
  always @(posedge clk) begin if (we) mem[wa] <= wd; r <= mem[ra]; q <= r; end
endmodule
"""
ROM_V = """module m #(parameter D = 2, parameter W = 1) (input clk, input [$clog2(D)-1:0] ra,
  output reg [W-1:0] q);
  reg [W-1:0] mem [0:D-1];
  initial $readmemh("rom.mem", mem);
  reg [W-1:0] r;
  always @(posedge clk) begin r <= mem[ra]; q <= r; end
endmodule
"""
SINGLE = [
    (20, 288, False),
    (50, 288, False),
    (100, 20, False),
    (100, 36, False),
    (128, 20, False),
    (128, 24, False),
    (128, 43, False),
    (128, 288, False),
    (256, 8, False),
    (256, 20, False),
    (1024, 18, False),
    (64, 64, True),
    (100, 36, True),
    (300, 72, True),
    (784, 14, True),
]
"""(depth, width, ROM) of the single memories ``--memories`` synthesises."""


def single_memories() -> None:
    """Each memory of :data:`SINGLE` alone through Yosys (a registered read, as in the core; a ROM
    of seeded random words) against :meth:`Memory.cost`."""
    from fpgasnn import toolchain
    from fpgasnn.backends.rtl.synth import count_cells

    rng = np.random.default_rng(1)
    print(
        f"{'depth':>6} {'width':>6} kind {'LUT':>6} {'BRAM18':>7} {'rule':>6} {'BRAM18':>7}  cells"
    )
    same = 0
    for d, w, rom in SINGLE:
        with tempfile.TemporaryDirectory(prefix="fpgasnn_mem_") as tmp:
            Path(tmp, "m.v").write_text(ROM_V if rom else RAM_V)
            if rom:
                words = [int.from_bytes(rng.bytes(-(-w // 8)), "little") for _ in range(d)]
                mask, digits = (1 << w) - 1, -(-w // 4)
                Path(tmp, "rom.mem").write_text("".join(f"{v & mask:0{digits}x}\n" for v in words))
            script = (
                f"read_verilog m.v; chparam -set D {d} -set W {w} m; "
                "synth_xilinx -family xc7 -flatten -noiopad -top m; tee -q -o stat.json stat -json"
            )
            toolchain.run_tool([toolchain.yosys(), "-q", "-p", script], cwd=tmp, what="Yosys")
            cells = json.loads(Path(tmp, "stat.json").read_text())["design"]["num_cells_by_type"]
        got = count_cells(cells)
        want = est.Memory("m", d, w, rom).cost()
        same += want == (got.LUT, got.BRAM_18K)
        kinds = ", ".join(
            f"{k} {v}" for k, v in sorted(cells.items()) if k.startswith(("RAM", "LUT"))
        )
        print(
            f"{d:6} {w:6} {'ROM' if rom else 'RAM':4} {got.LUT:6} {got.BRAM_18K:7} {want[0]:6} "
            f"{want[1]:7}  {kinds}"
        )
    print(f"{same} of {len(SINGLE)} memories map as the rules say")


def _timing(name: str, hw) -> dict:
    """For the demo SNN's cores: the cycle model's mean latency (each image into an empty core) and
    interval over the first 100 MNIST test images, and the latency at 100 MHz."""
    if name != "mnist_demo_snn":
        return {}
    x, _ = load_dataset("mnist")
    t = cycle_model(hw, x[:100])
    lat = float(t.alone.mean())
    print(f"  {name} {hw.lanes}: cycle model latency {lat:.0f}, interval {t.interval.mean():.0f}")
    return {
        "images": 100,
        "cycles_model": round(lat, 2),
        "interval_cycles_model": round(float(t.interval.mean()), 2),
        "latency_us": round(lat / 100.0, 2),
        "clock_mhz": 100,
    }


def _read_cache() -> dict:
    return json.loads(CACHE.read_text()) if CACHE.exists() else {}


def _key(ctx, verilog_hash: str) -> str:
    params = [sorted((k, str(v)) for k, v in s.params.items()) for s in ctx.stages]
    text = json.dumps([verilog_hash, params], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _verilog_hash() -> str:
    h = hashlib.sha256()
    for f in sorted(VERILOG.glob("*.v")):
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _fit_write_register(rows) -> dict[str, float]:
    """LUT and FF per scatter bit the registered write adds: the twins' differences over their
    scatter bits (a least-squares slope through zero)."""
    pairs = [(a, b) for a, b in pairwise(rows) if b[4].hw.write_register and a[:3] == b[:3]]
    if not pairs:
        return {}
    bits = np.array([sum(f["scatter_bits"] for f, _ in b[7]) for _, b in pairs], dtype=float)
    out = {}
    for what in ("LUT", "FF"):
        d = np.array([getattr(b[5], what) - getattr(a[5], what) for a, b in pairs], dtype=float)
        out[what] = round(float(bits @ d / (bits @ bits)), 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", action="store_true", help="refit the coefficients and print them")
    ap.add_argument("--demo", action="store_true", help="add the trained demo SNN (slow)")
    ap.add_argument(
        "--cached", action="store_true", help="only the cores already synthesised (a quick refit)"
    )
    ap.add_argument(
        "--only", default=None, help="only the cores of this network (NAME or NAME:LANES)"
    )
    ap.add_argument(
        "--memories", action="store_true", help="only single memories through Yosys vs the rules"
    )
    args = ap.parse_args()
    if args.memories:
        single_memories()
        return
    cache = _read_cache()
    vh = _verilog_hash()
    rows = []
    for name, make, lanes, taps, in_fit, wreg in designs(args.demo):
        if args.only and args.only not in (name, f"{name}:{lanes}"):
            continue
        net, images = _demo_net() if make is None else (make(), None)
        if str(lanes).startswith("fit"):
            # the setting fit chooses for pynq-z2: does what it chose fit in Yosys, too?
            board = load_board("pynq-z2")
            r = fit_board(net, board.resources, int(lanes[3:]), images=images, board=board.name)
            print("\n".join(r.summary()), flush=True)
            hw = r.hw
            lanes = ",".join(f"{k}={v}" for k, v in hw.lanes.items())
            taps = ",".join(f"{k}={v}" for k, v in r.taps.items())
        else:
            hw = lower(net, HwConfig.make(lanes, taps=taps, write_register=wreg))
        ctx = build_context(hw)
        key = _key(ctx, vh)
        if key not in cache and args.cached:
            continue
        if key not in cache:
            with tempfile.TemporaryDirectory(prefix="fpgasnn_est_") as tmp:
                write_plan(rtl_plan(hw), tmp, force=True)
                t0 = time.time()
                res = synth_dir(tmp)
                cache[key] = {"cells": res.cells, "synth_s": round(time.time() - t0, 1)}
            cache = _read_cache() | {key: cache[key]}  # another run may have added cores
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            CACHE.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
        res = count_cells(cache[key]["cells"])
        feats = [est.stage_model_inputs(s) for s in ctx.stages]
        rows.append((name, lanes, taps, in_fit, ctx, res, cache[key]["synth_s"], feats))
        print(
            f"{name} lanes {lanes} taps {taps}{' wreg' if wreg else ''}: LUT {res.LUT} FF {res.FF} "
            f"BRAM18 {res.BRAM_18K} DSP {res.DSP}",
            flush=True,
        )
    if args.fit:
        calib = [r for r in rows if r[3]]
        X = np.array([[sum(f[k] for f, _ in r[7]) for k in est.FEATURES] for r in calib])
        for what in ("LUT", "FF"):
            y = np.array([getattr(r[5], what) for r in calib], dtype=float)
            coef, _ = nnls(X / y[:, None], np.ones(len(y)))
            print(
                f"{what}_COEF = {dict(zip(est.FEATURES, np.round(coef, 3).tolist(), strict=True))}"
            )
        print(f"WRITE_REGISTER_COEF = {_fit_write_register(rows)}")
    records = []
    print(
        f"\n{'network':16} {'lanes':36} {'taps':5} {'LUT':>7} {'est':>7} {'err%':>6} "
        f"{'FF':>7} {'est':>7} {'BRAM':>5} {'est':>5} {'DSP':>4} {'est':>4}"
    )
    for name, lanes, taps, in_fit, ctx, res, synth_s, _ in rows:
        e = est.estimate(ctx)
        err = 100.0 * (e.LUT - res.LUT) / res.LUT
        wreg = ctx.hw.write_register
        print(
            f"{name + (' wreg' if wreg else ''):16} {str(lanes):36} {str(taps):5} {res.LUT:7} "
            f"{e.LUT:7} {err:6.1f} "
            f"{res.FF:7} {e.FF:7} {res.BRAM_18K:5} {e.BRAM_18K:5} {res.DSP:4} {e.DSP:4}"
        )
        records.append(
            {
                "network": name,
                "lanes": str(lanes),
                "taps": str(taps),
                "in_fit": in_fit,
                "write_register": int(wreg),
                "LUT": res.LUT,
                "LUT_memory": res.LUT_memory,
                "LUT_est": e.LUT,
                "LUT_err_pct": round(err, 1),
                "FF": res.FF,
                "FF_est": e.FF,
                "BRAM_18K": res.BRAM_18K,
                "BRAM_18K_est": e.BRAM_18K,
                "DSP": res.DSP,
                "DSP_est": e.DSP,
                "synth_s": synth_s,
            }
            | _timing(name, ctx.hw)
        )
    if not (args.only or args.cached):
        write_records(OUT, records)
        print(f"wrote {OUT}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
