"""``fpgasnn synth PRJ/|NET.snn``: synthesise the Verilog core with Yosys synth_xilinx, print resources."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from fpgasnn.cli.args import (
    board_name,
    check_outside,
    input_path,
    keep_work_dir,
    load_network,
    output_dir,
)
from fpgasnn.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth",
        help="synthesise the Verilog core with Yosys and print its resources",
        description="Run Yosys synth_xilinx (-flatten -noiopad) on the Verilog core and "
        "print LUT, FF, BRAM_18K and DSP counts (no latches allowed): a "
        "pre-place-and-route estimate. For a project folder, its rtl/ is "
        "synthesised for the project's board and the result cached in "
        "PROJECT/report/yosys_stat.json (reused by `fpgasnn report`).",
    )
    p.add_argument(
        "project", type=input_path, help="project folder written by `fpgasnn build`, or a .snn file"
    )
    p.add_argument(
        "--lanes",
        action="append",
        default=[],
        metavar="N|LAYER=N[,LAYER=N]",
        help="lanes for a .snn file (a project's own lanes are used otherwise; default 8)",
    )
    p.add_argument(
        "--board", type=board_name, help="board for a .snn file (its yosys_family; default pynq-z2)"
    )
    p.add_argument(
        "--workdir",
        type=output_dir,
        help="build folder for a .snn file, kept afterwards (default: a temporary "
        "folder, removed when the command ends)",
    )
    p.add_argument(
        "--keep-work",
        action="store_true",
        help="keep the temporary build folder of a .snn file and print where it is",
    )
    p.set_defaults(func=run)


def _print(r, family: str, board: str, lanes, how: str) -> None:
    print(
        f"synth_xilinx -family {family} ({board}), lanes {lanes}: LUT {r['LUT']}  FF {r['FF']}  "
        f"BRAM_18K {r['BRAM_18K']}  DSP {r['DSP']}  [{how}]"
    )


def run(args: argparse.Namespace) -> int:
    from fpgasnn.boards import load_board

    path = Path(args.project)
    if path.is_dir():
        if not (path / "project.json").is_file():
            raise UsageError(
                f"project {str(path)!r}: not an fpgasnn project (no project.json); "
                "give a project folder written by `fpgasnn build` or a .snn file"
            )
        if args.lanes or args.board or args.workdir or args.keep_work:
            raise UsageError(
                f"project {str(path)!r}: a project is synthesised with its own lanes "
                "and board in its report/ folder; --lanes, --board, --workdir and "
                "--keep-work are for a .snn file (rebuild with `fpgasnn build` to "
                "change them)"
            )
        from fpgasnn.backends.hls.project import read_project
        from fpgasnn.report.sources import synthesize

        doc, _, board = read_project(path)
        r = synthesize(path, board)
        _print(
            r,
            r["family"],
            board.name,
            doc.get("lanes"),
            f"pre-place-and-route estimate; Yosys {r['synth_s']} s; cached in report/yosys_stat.json",
        )
        return 0
    from fpgasnn.backends.rtl.synth import synth
    from fpgasnn.cli.build_cmd import parse_lanes

    if args.workdir and args.keep_work:
        raise UsageError("--keep-work: a --workdir is always kept; give one or the other")
    if args.workdir and (path.parent / "project.json").is_file():
        check_outside(args.workdir, path.parent, "--workdir", "the project folder")
    net = load_network(path)
    board = load_board(args.board or "pynq-z2")
    lanes = parse_lanes(args.lanes) if args.lanes else 8
    with (
        contextlib.nullcontext(Path(args.workdir))
        if args.workdir
        else keep_work_dir(args.keep_work, "fpgasnn_synth_")
    ) as work:
        r = synth(net, lanes, work / "rtl", board.yosys_family)
    _print(vars(r), board.yosys_family, board.name, lanes, "pre-place-and-route estimate")
    return 0
