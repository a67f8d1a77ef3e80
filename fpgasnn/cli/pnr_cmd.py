"""``fpgasnn pnr PRJ/ [--board NAME] [--seed N]``: place and route the project's Verilog core on an
ECP5 board (Yosys synth_ecp5, nextpnr-ecp5, ecppack); print post-route utilization, fmax and the
critical path; exit 1 when the core misses the clock."""

from __future__ import annotations

import argparse
from pathlib import Path

from fpgasnn.errors import UsageError


def _seed(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= v < 2**31:
        raise argparse.ArgumentTypeError(f"expected 0 <= seed < 2**31, got {v}")
    return v


def _mhz(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a frequency in MHz, got {text!r}") from None
    if not 0 < v <= 1000:
        raise argparse.ArgumentTypeError(f"expected 0 < MHz <= 1000, got {text}")
    return v


def _count(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= v <= 255:
        raise argparse.ArgumentTypeError(f"expected 1 <= N <= 255, got {v}")
    return v


def register(sub: argparse._SubParsersAction) -> None:
    from fpgasnn.pnr.project import DEFAULT_BOARD

    p = sub.add_parser(
        "pnr",
        help="place and route the Verilog core on an ECP5 board (fmax, utilization, bitstream)",
        description="Synthesise (Yosys synth_ecp5), place and route (nextpnr-ecp5) and pack "
        "(ecppack) the project's rtl/ core for a Lattice ECP5 part; print post-route LUT4, FF, "
        "EBR and MULT18, the achieved fmax and the critical path's start and end. The clock "
        "checked is the project's board clock (the one its latency figures assume) unless "
        "--clock-mhz is given; a core that misses it exits with status 1. The core's ports "
        "other than the clock are placed freely: the bitstream measures the core, it is not "
        "a board design. Results go to PROJECT/pnr/BOARD/ (pnr.json, the bitstream, "
        "nextpnr's report and logs), written atomically; `fpgasnn report` shows them. The "
        "same project, board, clock and seed give the same bitstream.",
    )
    p.add_argument("project", help="project folder written by `fpgasnn build`")
    p.add_argument(
        "--board",
        default=DEFAULT_BOARD,
        help=f"ECP5 board (default {DEFAULT_BOARD}); one of the ECP5 board files",
    )
    p.add_argument("--seed", type=_seed, default=1, help="nextpnr placement seed (default 1)")
    p.add_argument(
        "--clock-mhz",
        type=_mhz,
        default=None,
        help="clock to check, MHz (default: the project's board clock)",
    )
    p.add_argument(
        "--selftest",
        type=_count,
        default=None,
        metavar="N",
        help="instead of the bare core: a board self-test (the core, a ROM of N images and "
        "their golden classes, a checker lighting LEDs: led0 pass, led1 done, the "
        "rest the number of matches), simulated on Verilator, then placed and routed "
        "with every port on a board pin at the board's oscillator clock, into "
        "PROJECT/pnr/BOARD-selftest/",
    )
    p.add_argument(
        "--images",
        default=None,
        metavar="FILE.npy",
        help="self-test images, an integer array (N, C, H, W) (default: the project's "
        "tb_data/inputs.txt, seeded random images)",
    )
    p.set_defaults(func=run)


def format_result(res, folder: Path) -> str:
    util = res.utilization
    cells = "  ".join(
        f"{k} {util[k]['used']:,}/{util[k]['available']:,} "
        f"({100.0 * util[k]['used'] / max(util[k]['available'], 1):.1f} %)"
        for k in ("LUT4", "FF", "EBR", "MULT18")
    )
    lines = [
        f"pnr {res.board} ({res.part}), seed {res.seed}: {cells}",
        f"  {res.check()}",
        (
            f"  bitstream {folder / res.bitstream} ({res.bitstream_bytes:,} bytes); "
            f"Yosys {res.synth_s} s, nextpnr {res.pnr_s} s, ecppack {res.pack_s} s"
        ),
    ]
    if res.met and res.critical_path is not None:
        lines.append(f"  critical path {res.critical_path.describe()}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from fpgasnn.boards import list_ecp5_boards
    from fpgasnn.pnr.project import pnr_project

    path = Path(args.project)
    if not (path / "project.json").is_file():
        raise UsageError(
            f"project {str(path)!r}: not an fpgasnn project folder (no project.json); "
            "build one with `fpgasnn build`"
        )
    if args.board not in list_ecp5_boards():
        raise UsageError(
            f"--board {args.board!r}: not an ECP5 board; one of: {', '.join(list_ecp5_boards())}"
        )
    if args.images is not None and args.selftest is None:
        raise UsageError("--images: the images are for --selftest N")
    if args.selftest is not None:
        if args.clock_mhz is not None:
            raise UsageError("--clock-mhz: a self-test runs at the board's oscillator clock")
        return run_selftest(path, args)
    res = pnr_project(path, args.board, seed=args.seed, clock_mhz=args.clock_mhz)
    print(format_result(res, path / "pnr" / res.board))
    print(f"  core: {core_build(path)}")
    return 0 if res.met else 1


def core_build(path: Path) -> str:
    """Which build of the core the project holds: the ECP5 one closes timing there."""
    from fpgasnn.backends.hls.project import project_config, read_project

    if project_config(read_project(path)[0]).write_register:
        return "the ECP5 build (registered write)"
    return (
        "the Xilinx build; `fpgasnn build --registered-write` builds the core for ECP5 "
        "(one cycle more per scatter pass, a shorter read-add-write path)"
    )


def _selftest_images(path: Path, args, net):
    import numpy as np

    if args.images is not None:
        try:
            x = np.load(args.images, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise UsageError(f"--images {args.images!r}: not a readable .npy array: {e}") from None
    else:
        x = np.loadtxt(path / "tb_data" / "inputs.txt", dtype=np.int64, ndmin=2)
        x = x.reshape(len(x), *net.input.shape)
    if not np.issubdtype(x.dtype, np.integer):
        raise UsageError(f"--images: expected an integer array, got dtype {x.dtype}")
    if len(x) < args.selftest:
        raise UsageError(f"--selftest {args.selftest}: only {len(x)} images available")
    return x[: args.selftest]


def run_selftest(path: Path, args) -> int:
    import tempfile

    from fpgasnn.backends.hls.project import read_project
    from fpgasnn.boards import load_ecp5_board
    from fpgasnn.pnr.project import rtl_folder_plan
    from fpgasnn.pnr.selftest import (
        board_selftest_plan,
        expected_leds,
        pnr_selftest,
        simulate_selftest,
    )

    _, net, _ = read_project(path)
    board = load_ecp5_board(args.board)
    x = _selftest_images(path, args, net)
    st = board_selftest_plan(net, rtl_folder_plan(path / "rtl"), x, board)
    n, leds = st.params["N_IMG"], st.params["LED_W"]
    want = expected_leds(n, n, leds, board.led_active_low)
    with tempfile.TemporaryDirectory(prefix="fpgasnn_selftest_") as tmp:
        sim = simulate_selftest(st, tmp)
    ok = sim["done"] and sim["led"] == want
    print(
        f"self-test of {n} images on Verilator: LEDs {sim['led']:0{leds}b} after "
        f"{sim['cycles']:,} cycles, expected {want:0{leds}b} (led0 pass, led1 done, then the "
        f"match count; {'active low' if board.led_active_low else 'active high'}): "
        f"{'ok' if ok else 'MISMATCH'}"
    )
    if not ok:
        return 1
    folder = path / "pnr" / f"{board.name}-selftest"
    res = pnr_selftest(st, board, folder, seed=args.seed)
    print(format_result(res, folder))
    return 0 if res.met else 1
