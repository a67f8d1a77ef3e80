"""A complete project for a board: the network file, project.json and the HLS sources.

``project.json`` records what the project was built from (network file, board, lanes, schedule, top
function, file list) so ``fpgasnn csim PRJ/`` and later tools can work from the folder alone.
"""

from __future__ import annotations

import json
from pathlib import Path

from fpgasnn.backends.hls.context import TOP_NAME
from fpgasnn.backends.hls.emit import hls_plan
from fpgasnn.backends.plan import Plan, merge_plans
from fpgasnn.boards import Board, load_board
from fpgasnn.errors import BackendError
from fpgasnn.hw import HwConfig, HwNetwork, lower
from fpgasnn.ir.network import Network
from fpgasnn.ir.serialize import dumps, loads

PROJECT_FORMAT = "fpgasnn-project"
PROJECT_VERSION = 1
NETWORK_FILE = "network.snn"
PROJECT_FILE = "project.json"


def project_plan(
    hw: HwNetwork | Network, board: Board, lanes=None, *, snn_bytes: bytes | None = None
) -> Plan:
    """Everything ``fpgasnn build`` writes for the HLS flow, for the lowered network ``hw`` (a Network is
    lowered here with ``lanes``).
    ``snn_bytes``: the original .snn file (copied byte for byte); by default the network is serialized
    afresh. project.json records the lanes and taps of the lowering, which the Verilog core shares."""
    if not isinstance(hw, HwNetwork):
        hw = lower(hw, HwConfig.make(lanes))
    hls = hls_plan(hw, board)
    doc = {
        "format": PROJECT_FORMAT,
        "version": PROJECT_VERSION,
        "network": NETWORK_FILE,
        "board": board.to_dict(),
        "lanes": hw.lanes,
        "lanes_policy": hw.lanes_policy,
        "taps": hw.taps,
        "write_register": hw.write_register,
        "layers": {s.name: {"ident": s.ident, "activation": s.act_name} for s in hw.stages},
        "schedule": {
            "presim": hw.presim,
            "wake": hw.wake,
            "sleep": hw.sleep,
            "total": hw.total_steps,
        },
        "top": TOP_NAME,
        "hls": {"files": sorted(hls)},
    }
    meta: Plan = {
        NETWORK_FILE: snn_bytes if snn_bytes is not None else dumps(hw.net),
        PROJECT_FILE: json.dumps(doc, indent=2, sort_keys=True) + "\n",
    }
    return merge_plans(meta, hls)


def project_config(doc: dict) -> HwConfig:
    """The hardware configuration a project was built with (its lanes and taps per layer, and
    whether its Verilog core registers the scatter's write)."""
    lanes = doc.get("lanes")
    if isinstance(doc.get("rtl_lanes"), dict):  # projects built before the shared lowering
        lanes = doc["rtl_lanes"]
    return HwConfig.make(
        lanes, taps=doc.get("taps", 1), write_register=bool(doc.get("write_register", False))
    )


def read_project(project_dir: str | Path) -> tuple[dict, Network, Board]:
    """project.json, the network and the board of a project folder written by ``fpgasnn build``."""
    root = Path(project_dir)
    pj = root / PROJECT_FILE
    if not pj.is_file():
        raise BackendError(
            f"{root}: not an fpgasnn project (no {PROJECT_FILE}); run `fpgasnn build` first"
        )
    try:
        doc = json.loads(pj.read_text(encoding="utf-8"))
    except ValueError as e:
        raise BackendError(f"{pj}: not valid JSON: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != PROJECT_FORMAT:
        raise BackendError(f"{pj}: format must be {PROJECT_FORMAT!r}")
    snn = root / str(doc.get("network", NETWORK_FILE))
    if not snn.is_file():
        raise BackendError(f"{root}: the network file {snn.name} is missing")
    net = loads(snn.read_bytes(), str(snn))
    board = load_board(str(doc.get("board", {}).get("name", "")))
    return doc, net, board


__all__ = ["NETWORK_FILE", "PROJECT_FILE", "project_config", "project_plan", "read_project"]
