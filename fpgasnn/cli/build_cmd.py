"""``fpgasnn build NET.snn --board BOARD -o PRJ/``: write a complete, deterministic project for a board."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from fpgasnn.cli.args import board_name, input_file, load_network, output_dir
from fpgasnn.errors import BackendError, UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "build",
        help="write an FPGA project (HLS C++, test bench, Vitis/Vivado scripts) for a board",
        description="Write a complete project for BOARD into the output folder: the HLS C++ of the "
        "spiking core, its C test bench with vectors, a Vitis HLS script (csim, csynth, "
        "cosim, export) and a Vivado script (project + block design), project.json and a "
        "copy of the network. Building twice gives byte-identical files.",
    )
    p.add_argument("net", type=input_file, help="the .snn file")
    p.add_argument(
        "--board",
        default="pynq-z2",
        type=board_name,
        help="board name (see boards/*.json; default pynq-z2)",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        type=output_dir,
        help="project folder to write (built beside it and moved in when complete)",
    )
    p.add_argument(
        "--lanes",
        action="append",
        default=[],
        metavar="N|LAYER=N[,LAYER=N]|autoB|fitPCT",
        help="parallel channels per layer: one number for every layer (capped at its "
        "channels), LAYER=N pairs for synapse layers (repeatable), auto[BUDGET]: "
        "a budget of lanes (default 128) spent where the synaptic events are, or fit[PCT]: "
        "the fastest lanes and taps whose estimated LUTs and BRAMs fill at most PCT %% "
        "(default 90) of the board",
    )
    p.add_argument(
        "--taps",
        default="auto",
        choices=["auto", "all", "1"],
        help="kernel taps of one input event a convolution updates per cycle: all "
        "(membranes banked by output position), 1 (smaller, slower) or auto (default: "
        "all on the convolutions that would otherwise be the slowest layer)",
    )
    p.add_argument(
        "--registered-write",
        action="store_true",
        help="register each scatter sum before it is written to the membrane memory, and "
        "each stage's view of its consumer's progress (one cycle more per scatter pass, a "
        "wider forwarding multiplexer): the core for ECP5 place and route (`fpgasnn pnr`), "
        "where the read-add-write loop through the block RAM is the critical path; off by "
        "default, since on Xilinx parts it costs about one LUT per membrane bit",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing project folder whole (it stays as it was if the build fails)",
    )
    p.set_defaults(func=run)


def parse_lanes(items: list[str]) -> int | dict[str, int] | str | None:
    """``["4"]`` -> 4; ``["conv1=4,fc1=2"]`` or ``["conv1=4", "fc1=2"]`` -> {"conv1": 4, "fc1": 2};
    ``["auto"]`` / ``["auto64"]`` / ``["fit"]`` / ``["fit95"]`` -> the string (resolved by the hardware
    lowering, :mod:`fpgasnn.hw`, or against the board, :func:`fpgasnn.flow.lower_for_board`)."""
    if not items:
        return None
    if len(items) == 1 and items[0].strip().lower().startswith(("auto", "fit")):
        return items[0].strip().lower()
    if len(items) == 1 and "=" not in items[0]:
        try:
            return int(items[0])
        except ValueError:
            raise BackendError(
                f"--lanes: expected a number or LAYER=N pairs, got {items[0]!r}"
            ) from None
    out: dict[str, int] = {}
    for item in items:
        for pair in filter(None, item.split(",")):
            name, sep, value = pair.partition("=")
            if not sep or not name:
                raise BackendError(f"--lanes: expected LAYER=N, got {pair!r}")
            try:
                out[name] = int(value)
            except ValueError:
                raise BackendError(
                    f"--lanes: layer {name!r}: expected an integer, got {value!r}"
                ) from None
    return out


def check_output(out: Path, force: bool) -> None:
    """Before anything is built: a non-empty ``out`` needs ``force`` and must be an fpgasnn project
    (``--force`` replaces the folder whole, so a folder of other files is never swept away)."""
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not force:
        raise UsageError(f"-o {str(out)!r}: folder is not empty; use --force to replace it")
    if not (out / "project.json").is_file():
        raise UsageError(
            f"-o {str(out)!r}: not an fpgasnn project folder (no project.json); "
            "--force replaces only a project folder: choose a new or empty folder"
        )
    if Path.cwd().resolve().is_relative_to(out.resolve()):
        raise UsageError(
            f"-o {str(out)!r}: is the current folder or holds it; --force cannot "
            "replace it from inside"
        )
    parent = out.absolute().parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(
            f"-o {str(out)!r}: its folder {str(parent)!r} is not writable (--force "
            "builds the new project beside the old one)"
        )


def run(args: argparse.Namespace) -> int:
    from fpgasnn.boards import load_board
    from fpgasnn.flow import build_project, lower_for_board

    check_output(Path(args.output), args.force)
    path = Path(args.net)
    net = load_network(path)
    snn_bytes = path.read_bytes()
    board = load_board(args.board)
    hw, fitted = lower_for_board(
        net, parse_lanes(args.lanes), board, taps=args.taps, write_register=args.registered_write
    )
    written = build_project(hw, board, args.output, force=args.force, snn_bytes=snn_bytes)
    print(f"wrote {len(written)} files to {args.output} (board {board.name}, part {board.part})")
    print(
        f"lanes {hw.lanes_policy}, taps {args.taps}"
        + (", registered write" if hw.write_register else "")
        + ": "
        + ", ".join(
            f"{s.name} {s.lanes} lane{'s' if s.lanes > 1 else ''}"
            + (f" x {s.taps} taps ({s.banks} membrane banks)" if s.taps > 1 else "")
            for s in hw.stages
        )
    )
    if fitted is not None:
        print("\n".join(fitted.summary()))
    return 0
