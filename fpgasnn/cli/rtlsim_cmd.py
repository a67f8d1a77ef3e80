"""``fpgasnn rtlsim PRJ/|NET.snn -n N``: simulate the Verilog core with Verilator (cocotb bench), compare
with the golden model bit-exactly and print cycles measured vs the cycle model vs the lower bound."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from fpgasnn.errors import SimulationError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rtlsim", help="simulate the Verilog core with Verilator and compare with golden",
                       description="Build the Verilog core with Verilator, stream N images through it "
                                   "(cocotb bench), compare scores, class and every layer's per-step "
                                   "spikes with the golden model, and print the cycles measured, the "
                                   "cycle model's and the lower bound. Exit status 1 on any mismatch.")
    p.add_argument("project", help="project folder written by `fpgasnn build` (its .snn) or a .snn file")
    src = p.add_mutually_exclusive_group()
    src.add_argument("-n", "--images", type=int, default=10, help="seeded random images (default 10)")
    src.add_argument("--inputs", help=".npy file of integer images (N, *input_shape)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lanes", action="append", default=[], metavar="N|LAYER=N[,LAYER=N]",
                   help="lanes per layer (default: the project's, else 8)")
    p.add_argument("--workdir", help="build folder (default: a temporary one)")
    p.set_defaults(func=run)


def project_lanes(path: Path, given: list[str]):
    """``--lanes`` if given, else the Verilog core's lanes recorded in the project folder's project.json
    (``rtl_lanes``; older projects: ``lanes``), else 8."""
    from fpgasnn.cli.build_cmd import parse_lanes

    if given:
        return parse_lanes(given)
    pj = path / "project.json"
    if path.is_dir() and pj.is_file():
        import json

        doc = json.loads(pj.read_text())
        lanes = doc.get("rtl_lanes", doc.get("lanes"))
        if lanes is not None:
            return lanes
    return 8


def find_snn(path: Path) -> Path:
    if path.is_file():
        return path
    cands = sorted(path.glob("*.snn")) + sorted(path.glob("**/*.snn"))
    if not cands:
        raise SimulationError(f"{path}: no .snn file found (give a project folder or a .snn file)")
    return cands[0]


def run(args: argparse.Namespace) -> int:
    from fpgasnn.backends.hls.stimulus import random_images
    from fpgasnn.backends.rtl.check import check
    from fpgasnn.backends.rtl.context import build_context
    from fpgasnn.backends.rtl.sim import RtlSim
    from fpgasnn.ir.serialize import loads

    snn = find_snn(Path(args.project))
    net = loads(snn.read_bytes(), str(snn))
    if args.inputs:
        images = np.load(args.inputs, allow_pickle=False)
    else:
        images = random_images(net, args.images, args.seed)
    lanes = project_lanes(Path(args.project), args.lanes)
    work = args.workdir or tempfile.mkdtemp(prefix="fpgasnn_rtlsim_")
    sim = RtlSim(net, lanes, work)
    sim.build()
    obs = sim.run(images)
    res = check(net, build_context(net, lanes), images, obs)
    meas, model, lb = (np.array(v) for v in (res.cycles_measured, res.cycles_model, res.cycles_lower_bound))
    print(f"rtlsim: {res.images} images, lanes {lanes}, {res.mismatches} mismatches")
    if len(meas):
        print(f"cycles/image: measured {meas.mean():.1f}, model {model.mean():.1f}, lower bound "
              f"{lb.mean():.1f} (measured/bound {meas.mean() / max(lb.mean(), 1):.2f})")
    for e in res.errors[:10]:
        print(f"  {e}")
    return 0 if res.ok else 1
