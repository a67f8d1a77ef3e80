"""``fpgasnn synth PRJ/|NET.snn``: synthesise the Verilog core with Yosys synth_xilinx, print resources."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="synthesise the Verilog core with Yosys and print its resources",
                       description="Run Yosys synth_xilinx (-flatten -noiopad) on the Verilog core and "
                                   "print LUT, FF, BRAM_18K and DSP counts (no latches allowed): a "
                                   "pre-place-and-route estimate. For a project folder, its rtl/ is "
                                   "synthesised for the project's board and the result cached in "
                                   "PROJECT/report/yosys_stat.json (reused by `fpgasnn report`).")
    p.add_argument("project", help="project folder written by `fpgasnn build`, or a .snn file")
    p.add_argument("--lanes", action="append", default=[], metavar="N|LAYER=N[,LAYER=N]",
                   help="lanes for a .snn file (a project's own lanes are used otherwise; default 8)")
    p.add_argument("--board", help="board for a .snn file (its yosys_family; default pynq-z2)")
    p.add_argument("--workdir", help="build folder for a .snn file (default: a temporary one)")
    p.set_defaults(func=run)


def _print(r, family: str, board: str, lanes, how: str) -> None:
    print(f"synth_xilinx -family {family} ({board}), lanes {lanes}: LUT {r['LUT']}  FF {r['FF']}  "
          f"BRAM_18K {r['BRAM_18K']}  DSP {r['DSP']}  [{how}]")


def run(args: argparse.Namespace) -> int:
    from fpgasnn.boards import load_board
    from fpgasnn.errors import BackendError

    path = Path(args.project)
    if path.is_dir() and (path / "project.json").is_file():
        from fpgasnn.backends.hls.project import read_project
        from fpgasnn.report.sources import synthesize

        if args.lanes or args.board:
            raise BackendError(f"{path}: a project is synthesised with its own lanes and board; "
                               "rebuild it with `fpgasnn build --lanes/--board` to change them")
        doc, _, board = read_project(path)
        r = synthesize(path, board)
        _print(r, r["family"], board.name, doc.get("lanes"),
               f"pre-place-and-route estimate; Yosys {r['synth_s']} s; cached in report/yosys_stat.json")
        return 0
    from fpgasnn.backends.rtl.synth import synth
    from fpgasnn.cli.build_cmd import parse_lanes
    from fpgasnn.cli.rtlsim_cmd import find_snn
    from fpgasnn.ir.serialize import loads

    snn = find_snn(path)
    net = loads(snn.read_bytes(), str(snn))
    board = load_board(args.board or "pynq-z2")
    lanes = parse_lanes(args.lanes) if args.lanes else 8
    work = args.workdir or tempfile.mkdtemp(prefix="fpgasnn_synth_")
    r = synth(net, lanes, work, board.yosys_family)
    _print(vars(r), board.yosys_family, board.name, lanes, "pre-place-and-route estimate")
    return 0
