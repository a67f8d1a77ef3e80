"""Board definitions: one JSON data file per board in this package, read by :func:`load_board`.

Each file holds ``name``, ``description``, ``part``, ``board_part``, ``clock_mhz``, ``family`` (one of
zynq7000, artix7, zynqmp, alveo), ``yosys_family`` (``xc7`` or ``xcup``, the Yosys ``synth_xilinx``
family) and ``resources`` (LUT, FF, BRAM_18K, DSP, URAM available on the part). These are the
boards a project is built for (:func:`list_boards`, :func:`load_board`).

Lattice ECP5 boards (``family`` ``ecp5``), for the open place-and-route flow (``fpgasnn pnr``), are
read by :func:`load_ecp5_board` / :func:`list_ecp5_boards` into :class:`Ecp5Board`: ``part``,
``nextpnr`` (``device`` -- the nextpnr-ecp5 device flag without dashes, e.g. ``85k`` --,
``package``, ``speed``), ``clock_port`` / ``clock_pin`` / ``clock_mhz`` (the board oscillator:
top-level port name, ball and frequency), ``lpf`` (the constraint file beside the JSON: pin facts
only, no FREQUENCY line -- the flow adds the clock it checks), ``resources`` (LUT4, FF, EBR, MULT18
available on the part) and, optional (default false), ``led_active_low`` / ``btn_active_low`` (the
polarity of the ``led[i]`` and ``btn`` pins, for the self-test top).

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
ECP5_FAMILY = "ecp5"
YOSYS_FAMILIES = ("xc7", "xcup")
RESOURCE_KEYS = ("LUT", "FF", "BRAM_18K", "DSP", "URAM")
ECP5_RESOURCE_KEYS = ("LUT4", "FF", "EBR", "MULT18")
NEXTPNR_DEVICES = (
    "25k",
    "45k",
    "85k",
    "um-25k",
    "um-45k",
    "um-85k",
    "um5g-25k",
    "um5g-45k",
    "um5g-85k",
)


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
            "name": self.name,
            "description": self.description,
            "part": self.part,
            "board_part": self.board_part,
            "clock_mhz": self.clock_mhz,
            "family": self.family,
            "yosys_family": self.yosys_family,
            "resources": dict(self.resources),
        }


@dataclass(frozen=True)
class Ecp5Board:
    """A Lattice ECP5 board for the open flow (Yosys synth_ecp5, nextpnr-ecp5, ecppack)."""

    name: str
    description: str
    part: str
    device: str
    package: str
    speed: int
    clock_port: str
    clock_pin: str
    clock_mhz: float
    lpf: str
    resources: Mapping[str, int]
    led_active_low: bool = False
    btn_active_low: bool = False

    @property
    def nextpnr_args(self) -> list[str]:
        """The device arguments of nextpnr-ecp5 (``--85k --package CABGA381 --speed 6``)."""
        return [f"--{self.device}", "--package", self.package, "--speed", str(self.speed)]

    def lpf_text(self) -> str:
        """The board's constraint file (pins and I/O standards; no FREQUENCY line)."""
        return resources.files(__name__).joinpath(self.lpf).read_text(encoding="utf-8")

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "part": self.part,
            "family": ECP5_FAMILY,
            "nextpnr": {"device": self.device, "package": self.package, "speed": self.speed},
            "clock_port": self.clock_port,
            "clock_pin": self.clock_pin,
            "clock_mhz": self.clock_mhz,
            "lpf": self.lpf,
            "resources": dict(self.resources),
            "led_active_low": self.led_active_low,
            "btn_active_low": self.btn_active_low,
        }


def _docs() -> dict[str, object]:
    out = {}
    for p in resources.files(__name__).iterdir():
        if p.name.endswith(".json"):
            name = p.name[: -len(".json")]
            try:
                out[name] = json.loads(p.read_text(encoding="utf-8"))
            except ValueError as e:
                raise BackendError(f"board file {name}.json is not valid JSON: {e}") from None
    return out


def _is_ecp5(doc: object) -> bool:
    return isinstance(doc, dict) and doc.get("family") == ECP5_FAMILY


def list_boards() -> list[str]:
    """Names of the boards a project is built for (Xilinx parts), sorted."""
    return sorted(name for name, doc in _docs().items() if not _is_ecp5(doc))


def list_ecp5_boards() -> list[str]:
    """Names of the ECP5 boards for ``fpgasnn pnr``, sorted."""
    return sorted(name for name, doc in _docs().items() if _is_ecp5(doc))


def _parse(name: str, doc: object) -> Board:
    where = f"board file {name}.json"
    if not isinstance(doc, dict):
        raise BackendError(f"{where}: expected a JSON object, got {type(doc).__name__}")
    missing = [
        k
        for k in ("part", "board_part", "clock_mhz", "family", "yosys_family", "resources")
        if k not in doc
    ]
    if missing:
        raise BackendError(f"{where}: missing keys {missing}")
    if doc["family"] not in FAMILIES:
        raise BackendError(
            f"{where}: family must be one of {list(FAMILIES)}, got {doc['family']!r}"
        )
    if doc["yosys_family"] not in YOSYS_FAMILIES:
        raise BackendError(
            f"{where}: yosys_family must be one of {list(YOSYS_FAMILIES)}, got {doc['yosys_family']!r}"
        )
    res = doc["resources"]
    if (
        not isinstance(res, dict)
        or sorted(res) != sorted(RESOURCE_KEYS)
        or not all(isinstance(v, int) and v >= 0 for v in res.values())
    ):
        raise BackendError(
            f"{where}: resources must map {list(RESOURCE_KEYS)} to non-negative ints, got {res!r}"
        )
    clock = doc["clock_mhz"]
    if not isinstance(clock, (int, float)) or clock <= 0:
        raise BackendError(f"{where}: clock_mhz must be a positive number, got {clock!r}")
    return Board(
        name=str(doc.get("name", name)),
        description=str(doc.get("description", "")),
        part=str(doc["part"]),
        board_part=str(doc["board_part"]),
        clock_mhz=clock,
        family=doc["family"],
        yosys_family=doc["yosys_family"],
        resources=MappingProxyType({k: int(res[k]) for k in RESOURCE_KEYS}),
    )


def load_board(name: str) -> Board:
    """The board called ``name`` (e.g. ``pynq-z2``); BackendError listing the known boards otherwise."""
    known = list_boards()
    if name not in known:
        if name in list_ecp5_boards():
            raise BackendError(
                f"board {name!r} is a Lattice ECP5 board, for `fpgasnn pnr "
                f"--board`; a project is built for one of: {', '.join(known)} (for ECP5: "
                f"`fpgasnn build --registered-write`, then `fpgasnn pnr PRJ --board {name}`)"
            )
        raise BackendError(f"unknown board {name!r}; known boards: {', '.join(known)}")
    text = resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise BackendError(f"board file {name}.json is not valid JSON: {e}") from None
    return _parse(name, doc)


def _parse_ecp5(name: str, doc: dict) -> Ecp5Board:
    where = f"board file {name}.json"
    keys = ("part", "nextpnr", "clock_port", "clock_pin", "clock_mhz", "lpf", "resources")
    missing = [k for k in keys if k not in doc]
    if missing:
        raise BackendError(f"{where}: missing keys {missing}")
    npr = doc["nextpnr"]
    if not isinstance(npr, dict) or sorted(npr) != ["device", "package", "speed"]:
        raise BackendError(f"{where}: nextpnr must map device, package, speed; got {npr!r}")
    if npr["device"] not in NEXTPNR_DEVICES:
        raise BackendError(
            f"{where}: nextpnr.device must be one of {list(NEXTPNR_DEVICES)}, got {npr['device']!r}"
        )
    if npr["speed"] not in (6, 7, 8):
        raise BackendError(f"{where}: nextpnr.speed must be 6, 7 or 8, got {npr['speed']!r}")
    res = doc["resources"]
    if (
        not isinstance(res, dict)
        or sorted(res) != sorted(ECP5_RESOURCE_KEYS)
        or not all(isinstance(v, int) and v > 0 for v in res.values())
    ):
        raise BackendError(
            f"{where}: resources must map {list(ECP5_RESOURCE_KEYS)} to positive ints, got {res!r}"
        )
    clock = doc["clock_mhz"]
    if not isinstance(clock, (int, float)) or clock <= 0:
        raise BackendError(f"{where}: clock_mhz must be a positive number, got {clock!r}")
    lpf = str(doc["lpf"])
    here = resources.files(__name__)
    if "/" in lpf or not lpf.endswith(".lpf") or not here.joinpath(lpf).is_file():
        raise BackendError(f"{where}: lpf must name a .lpf file beside it, got {lpf!r}")
    return Ecp5Board(
        name=str(doc.get("name", name)),
        description=str(doc.get("description", "")),
        part=str(doc["part"]),
        device=npr["device"],
        package=str(npr["package"]),
        speed=int(npr["speed"]),
        clock_port=str(doc["clock_port"]),
        clock_pin=str(doc["clock_pin"]),
        clock_mhz=clock,
        lpf=lpf,
        resources=MappingProxyType({k: int(res[k]) for k in ECP5_RESOURCE_KEYS}),
        led_active_low=bool(doc.get("led_active_low", False)),
        btn_active_low=bool(doc.get("btn_active_low", False)),
    )


def load_ecp5_board(name: str) -> Ecp5Board:
    """The ECP5 board called ``name`` (e.g. ``ulx3s-85f``); BackendError listing them otherwise."""
    known = list_ecp5_boards()
    if name not in known:
        raise BackendError(f"unknown ECP5 board {name!r}; ECP5 boards: {', '.join(known)}")
    return _parse_ecp5(name, _docs()[name])


__all__ = [
    "ECP5_FAMILY",
    "ECP5_RESOURCE_KEYS",
    "FAMILIES",
    "NEXTPNR_DEVICES",
    "RESOURCE_KEYS",
    "YOSYS_FAMILIES",
    "Board",
    "Ecp5Board",
    "list_boards",
    "list_ecp5_boards",
    "load_board",
    "load_ecp5_board",
]
