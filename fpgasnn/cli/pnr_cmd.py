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


def register(sub: argparse._SubParsersAction) -> None:
    from fpgasnn.pnr.project import DEFAULT_BOARD

    p = sub.add_parser(
        "pnr",
        help="place and route the Verilog core on an ECP5 board (fmax, utilization, bitstream)",
        description="Synthesise (Yosys synth_ecp5), place and route (nextpnr-ecp5) and pack "
        "(ecppack) the project's rtl/ core for a Lattice ECP5 part; print post-route LUT4, FF, EBR and "
        "MULT18, the achieved fmax and the critical path's start and end. The clock checked "
        "is the project's board clock (the one its latency figures assume) unless "
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
    res = pnr_project(path, args.board, seed=args.seed, clock_mhz=args.clock_mhz)
    print(format_result(res, path / "pnr" / res.board))
    return 0 if res.met else 1
