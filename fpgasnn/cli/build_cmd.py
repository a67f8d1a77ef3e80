"""``fpgasnn build NET.snn --board BOARD -o PRJ/``: write a complete, deterministic project for a board."""

from __future__ import annotations

import argparse
from pathlib import Path

from fpgasnn.errors import BackendError, SerializationError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "build", help="write an FPGA project (HLS C++, test bench, Vitis/Vivado scripts) for a board",
        description="Write a complete project for BOARD into the output folder: the HLS C++ of the "
                    "spiking core, its C test bench with vectors, a Vitis HLS script (csim, csynth, "
                    "cosim, export) and a Vivado script (project + block design), project.json and a "
                    "copy of the network. Building twice gives byte-identical files.")
    p.add_argument("net", help="the .snn file")
    p.add_argument("--board", default="pynq-z2", help="board name (see boards/*.json; default pynq-z2)")
    p.add_argument("-o", "--output", required=True, help="project folder to write")
    p.add_argument("--lanes", action="append", default=[], metavar="N|LAYER=N[,LAYER=N]",
                   help="parallel channels per layer: one number for every layer (capped at its "
                        "channels), LAYER=N pairs for synapse layers (repeatable), or auto[BUDGET]: "
                        "a budget of lanes (default 128) spent where the synaptic events are")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder")
    p.set_defaults(func=run)


def parse_lanes(items: list[str]) -> int | dict[str, int] | str | None:
    """``["4"]`` -> 4; ``["conv1=4,fc1=2"]`` or ``["conv1=4", "fc1=2"]`` -> {"conv1": 4, "fc1": 2};
    ``["auto"]`` / ``["auto64"]`` -> the string (resolved by the RTL back end's ``resolve_lanes``)."""
    if not items:
        return None
    if len(items) == 1 and items[0].strip().lower().startswith("auto"):
        return items[0].strip().lower()
    if len(items) == 1 and "=" not in items[0]:
        try:
            return int(items[0])
        except ValueError:
            raise BackendError(f"--lanes: expected a number or LAYER=N pairs, got {items[0]!r}") from None
    out: dict[str, int] = {}
    for item in items:
        for pair in filter(None, item.split(",")):
            name, sep, value = pair.partition("=")
            if not sep or not name:
                raise BackendError(f"--lanes: expected LAYER=N, got {pair!r}")
            try:
                out[name] = int(value)
            except ValueError:
                raise BackendError(f"--lanes: layer {name!r}: expected an integer, got {value!r}") from None
    return out


def run(args: argparse.Namespace) -> int:
    from fpgasnn.boards import load_board
    from fpgasnn.flow import build_project
    from fpgasnn.ir.serialize import loads

    path = Path(args.net)
    try:
        snn_bytes = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise SerializationError(f"{path}: no such .snn file") from None
    net = loads(snn_bytes, str(path))
    board = load_board(args.board)
    from fpgasnn.backends.rtl.context import resolve_lanes

    lanes = resolve_lanes(net, parse_lanes(args.lanes))
    written = build_project(net, board, args.output, lanes, force=args.force,
                            snn_bytes=snn_bytes)
    print(f"wrote {len(written)} files to {args.output} (board {board.name}, part {board.part})")
    return 0
