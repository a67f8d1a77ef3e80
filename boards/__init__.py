"""Board definitions: one JSON data file per board in this package, read by :func:`load_board`.

Each file holds ``name``, ``description``, ``part``, ``board_part``, ``clock_mhz``, ``family`` (one of
zynq7000, artix7, zynqmp, alveo), ``yosys_family`` (``xc7`` or ``xcup``, the Yosys ``synth_xilinx``
family) and ``resources`` (LUT, FF, BRAM_18K, DSP, URAM available on the part).

(The loader lives here, in the package that ships the data files, so ``fpgasnn.boards`` is both the
module to import and the resource package.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

from fpgasnn.errors import BackendError

FAMILIES = ("zynq7000", "artix7", "zynqmp", "alveo")
YOSYS_FAMILIES = ("xc7", "xcup")
RESOURCE_KEYS = ("LUT", "FF", "BRAM_18K", "DSP", "URAM")


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    part: str
    board_part: str
    clock_mhz: float
    family: str
    yosys_family: str
    resources: Mapping[str, int]

    @property
    def is_zynq(self) -> bool:
        """True for boards with a processing system (block design with PS + AXI DMA)."""
        return self.family in ("zynq7000", "zynqmp")

    @property
    def clock_period_ns(self) -> float:
        return 1000.0 / self.clock_mhz

    def to_dict(self) -> dict:
        return {
            "name": self.name, "description": self.description, "part": self.part,
            "board_part": self.board_part, "clock_mhz": self.clock_mhz, "family": self.family,
            "yosys_family": self.yosys_family, "resources": dict(self.resources),
        }


def list_boards() -> list[str]:
    """Names of the known boards, sorted."""
    return sorted(
        p.name[: -len(".json")] for p in resources.files(__name__).iterdir() if p.name.endswith(".json")
    )


def _parse(name: str, doc: object) -> Board:
    where = f"board file {name}.json"
    if not isinstance(doc, dict):
        raise BackendError(f"{where}: expected a JSON object, got {type(doc).__name__}")
    missing = [k for k in ("part", "board_part", "clock_mhz", "family", "yosys_family", "resources")
               if k not in doc]
    if missing:
        raise BackendError(f"{where}: missing keys {missing}")
    if doc["family"] not in FAMILIES:
        raise BackendError(f"{where}: family must be one of {list(FAMILIES)}, got {doc['family']!r}")
    if doc["yosys_family"] not in YOSYS_FAMILIES:
        raise BackendError(
            f"{where}: yosys_family must be one of {list(YOSYS_FAMILIES)}, got {doc['yosys_family']!r}"
        )
    res = doc["resources"]
    if not isinstance(res, dict) or sorted(res) != sorted(RESOURCE_KEYS) or not all(
            isinstance(v, int) and v >= 0 for v in res.values()):
        raise BackendError(f"{where}: resources must map {list(RESOURCE_KEYS)} to non-negative ints, "
                           f"got {res!r}")
    clock = doc["clock_mhz"]
    if not isinstance(clock, (int, float)) or clock <= 0:
        raise BackendError(f"{where}: clock_mhz must be a positive number, got {clock!r}")
    return Board(
        name=str(doc.get("name", name)), description=str(doc.get("description", "")),
        part=str(doc["part"]), board_part=str(doc["board_part"]), clock_mhz=clock,
        family=doc["family"], yosys_family=doc["yosys_family"],
        resources=MappingProxyType({k: int(res[k]) for k in RESOURCE_KEYS}),
    )


def load_board(name: str) -> Board:
    """The board called ``name`` (e.g. ``pynq-z2``); BackendError listing the known boards otherwise."""
    known = list_boards()
    if name not in known:
        raise BackendError(f"unknown board {name!r}; known boards: {', '.join(known)}")
    text = resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise BackendError(f"board file {name}.json is not valid JSON: {e}") from None
    return _parse(name, doc)


__all__ = ["FAMILIES", "RESOURCE_KEYS", "YOSYS_FAMILIES", "Board", "list_boards", "load_board"]
