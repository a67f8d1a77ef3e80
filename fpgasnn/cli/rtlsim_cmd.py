"""``fpgasnn rtlsim PRJ/|NET.snn -n N``: simulate the Verilog core with Verilator (cocotb bench), compare
with the golden model bit-exactly and print cycles measured vs the cycle model vs the lower bound."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from fpgasnn.cli.args import (
    add_data_args,
    check_outside,
    count,
    input_file,
    input_path,
    keep_work_dir,
    load_network,
    output_dir,
    project_network,
    simulation_images,
)
from fpgasnn.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rtlsim",
        help="simulate the Verilog core with Verilator and compare with golden",
        description="Build the Verilog core with Verilator, stream N images through it "
        "(cocotb bench), compare scores, class and every layer's per-step "
        "spikes with the golden model, and print the cycles measured, the "
        "cycle model's and the lower bound. Exit status 1 on any mismatch.",
    )
    p.add_argument(
        "project",
        type=input_path,
        help="project folder written by `fpgasnn build` (its network.snn) or .snn file",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "-n",
        "--images",
        type=count(1, 100_000),
        default=None,
        help="how many images: seeded random ones in the input range, or the first N of --data "
        "(default 10)",
    )
    src.add_argument(
        "--inputs", type=input_file, help=".npy file of integer pixels (N, *input_shape), all used"
    )
    add_data_args(
        p,
        use="simulates x_test (else x), encoded as the .snn records (see `fpgasnn inspect`)",
        scale_default="as the .snn records",
    )
    p.add_argument("--seed", type=count(0), default=0)
    p.add_argument(
        "--lanes",
        action="append",
        default=[],
        metavar="N|LAYER=N[,LAYER=N]",
        help="lanes per layer (default: the project's, else 8)",
    )
    p.add_argument(
        "--workdir",
        type=output_dir,
        help="build folder, kept afterwards; outside the project (default: a temporary "
        "folder, removed when the command ends)",
    )
    p.add_argument(
        "--keep-work",
        action="store_true",
        help="keep the temporary build folder and print where it is",
    )
    p.set_defaults(func=run)


def project_lanes(path: Path, given: list[str]):
    """``--lanes`` if given, else the hardware configuration recorded in the project folder's
    project.json (lanes and parallel taps per layer), else 8 lanes."""
    from fpgasnn.cli.build_cmd import parse_lanes

    if given:
        return parse_lanes(given)
    pj = path / "project.json"
    if path.is_dir() and pj.is_file():
        import json

        from fpgasnn.backends.hls.project import project_config

        doc = json.loads(pj.read_text())
        if doc.get("lanes") is not None:
            return project_config(doc)  # the project's lanes and parallel taps
    return 8


def load_target(path: Path):
    """The network of ``path``: a .snn file, or the one a project folder's project.json names."""
    if path.is_dir():
        return project_network(path)[1]
    return load_network(path)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from fpgasnn.backends.hls.stimulus import random_images
    from fpgasnn.backends.rtl.check import check
    from fpgasnn.backends.rtl.context import build_context
    from fpgasnn.backends.rtl.sim import RtlSim
    from fpgasnn.hw import HwConfig, lower

    target = Path(args.project)
    if args.workdir:
        project = target if target.is_dir() else target.parent
        if (project / "project.json").is_file():
            check_outside(args.workdir, project, "--workdir", "the project folder")
        if args.keep_work:
            raise UsageError("--keep-work: a --workdir is always kept; give one or the other")
    net = load_target(target)
    images, labels, n, what = simulation_images(args, net, default_n=10)
    if images is None:
        images = random_images(net, n, args.seed)
    hw = lower(net, HwConfig.make(project_lanes(target, args.lanes)))  # checks the lanes too
    with (
        contextlib.nullcontext(Path(args.workdir))
        if args.workdir
        else keep_work_dir(args.keep_work, "fpgasnn_rtlsim_")
    ) as work:
        sim = RtlSim(hw, None, work)
        sim.build()
        obs = sim.run(images)
    res = check(net, build_context(hw), images, obs)
    meas, model, lb = (
        np.array(v) for v in (res.cycles_measured, res.cycles_model, res.cycles_lower_bound)
    )
    print(f"inputs: {what}")
    print(
        f"rtlsim: {res.images} images back to back, lanes {hw.lanes}, taps {hw.taps}, "
        f"{res.mismatches} mismatches"
    )
    if labels is not None and res.ok:
        from fpgasnn.golden import simulate

        top1 = 100.0 * float(np.mean(simulate(net, images).classes == labels))
        print(f"top-1 on the file's labels: {top1:.2f} % ({len(labels)} images; core = golden)")
    if len(meas):
        print(
            f"latency/image: measured {meas.mean():.1f} cycles, model {model.mean():.1f}, lower bound "
            f"{lb.mean():.1f} (measured/bound {meas.mean() / max(lb.mean(), 1):.2f})"
        )
    if res.intervals_measured:
        print(
            f"interval between images: measured {np.mean(res.intervals_measured):.1f} cycles, model "
            f"{np.mean(res.intervals_model):.1f}"
        )
    for e in res.errors[:10]:
        print(f"  {e}")
    return 0 if res.ok else 1
