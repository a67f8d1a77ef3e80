"""``fpgasnn synth PRJ/|NET.snn``: synthesise the Verilog core with Yosys synth_xilinx, print resources."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="synthesise the Verilog core with Yosys and print its resources",
                       description="Run Yosys synth_xilinx (-flatten -noiopad) on the Verilog core and "
                                   "print LUT, FF, BRAM_18K and DSP counts (no latches allowed).")
    p.add_argument("project", help="project folder written by `fpgasnn build` (its .snn) or a .snn file")
    p.add_argument("--lanes", type=int, default=8)
    p.add_argument("--board", default="pynq-z2", help="board (its yosys_family; default pynq-z2)")
    p.add_argument("--workdir")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fpgasnn.backends.rtl.synth import synth
    from fpgasnn.boards import load_board
    from fpgasnn.cli.rtlsim_cmd import find_snn
    from fpgasnn.ir.serialize import loads

    snn = find_snn(Path(args.project))
    net = loads(snn.read_bytes(), str(snn))
    board = load_board(args.board)
    family = getattr(board, "yosys_family", None) or "xc7"
    work = args.workdir or tempfile.mkdtemp(prefix="fpgasnn_synth_")
    r = synth(net, args.lanes, work, family)
    print(f"synth_xilinx -family {family}, lanes {args.lanes}: LUT {r.LUT}  FF {r.FF}  "
          f"BRAM_18K {r.BRAM_18K}  DSP {r.DSP}")
    return 0
