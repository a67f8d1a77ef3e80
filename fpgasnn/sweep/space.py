"""The space a sweep covers: its axes (T, method, resolution bits, lanes, board), the boards as the sweep
sees them (a clock, a synthesis target and resources under one set of names) and the points.

Boards are the project's board files: the Xilinx boards (``fpgasnn build``; Yosys ``synth_xilinx`` for
their ``yosys_family``) and the Lattice ECP5 boards (``fpgasnn pnr``; Yosys ``synth_ecp5``, and
nextpnr-ecp5 place and route when asked). ECP5 resources are read under the Xilinx names so one table
holds both: LUT = LUT4, BRAM_18K = EBR (18 Kbit blocks), DSP = MULT18.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from fpgasnn.errors import UsageError

RESOURCE_KEYS = ("LUT", "FF", "BRAM_18K", "DSP")

DEFAULT_T = (1, 2, 4)
DEFAULT_METHODS = ("best",)
DEFAULT_LANES = ("16", "auto128")
DEFAULT_BOARDS = ("pynq-z2", "zcu104", "ulx3s-85f")
DEFAULT_RES_BITS = (17,)


@dataclass(frozen=True)
class BoardInfo:
    """A board as the sweep uses it: its clock, its synthesis target and its resources."""

    name: str
    part: str
    clock_mhz: float
    target: str
    """Yosys target: ``xc7`` / ``xcup`` (synth_xilinx family) or ``ecp5``."""
    resources: Mapping[str, int]
    """LUT, FF, BRAM_18K, DSP available (ECP5: LUT4, FF, EBR, MULT18 under those names)."""

    @property
    def is_ecp5(self) -> bool:
        return self.target == "ecp5"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "part": self.part,
            "clock_mhz": self.clock_mhz,
            "target": self.target,
            "resources": dict(self.resources),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> BoardInfo:
        return cls(d["name"], d["part"], d["clock_mhz"], d["target"], dict(d["resources"]))


def board_info(name: str) -> BoardInfo:
    """The board ``name``: a Xilinx board file or an ECP5 one; UsageError listing both otherwise."""
    from fpgasnn.boards import list_boards, list_ecp5_boards, load_board, load_ecp5_board

    if name in list_boards():
        b = load_board(name)
        return BoardInfo(
            b.name,
            b.part,
            float(b.clock_mhz),
            b.yosys_family,
            {k: int(b.resources[k]) for k in RESOURCE_KEYS},
        )
    if name in list_ecp5_boards():
        e = load_ecp5_board(name)
        r = e.resources
        return BoardInfo(
            e.name,
            e.part,
            float(e.clock_mhz),
            "ecp5",
            {"LUT": r["LUT4"], "FF": r["FF"], "BRAM_18K": r["EBR"], "DSP": r["MULT18"]},
        )
    known = [*list_boards(), *list_ecp5_boards()]
    raise UsageError(f"--board: unknown board {name!r}; known boards: {', '.join(known)}")


@dataclass(frozen=True)
class SweepConfig:
    """What a sweep covers and how each point is measured."""

    dataset: str = "mnist"
    T: tuple[int, ...] = DEFAULT_T
    methods: tuple[str, ...] = DEFAULT_METHODS
    lanes: tuple[str, ...] = DEFAULT_LANES
    """Lanes policies as ``fpgasnn build --lanes`` takes them: ``N``, ``auto[BUDGET]``,
    ``LAYER=N,LAYER=N``."""
    boards: tuple[str, ...] = DEFAULT_BOARDS
    res_bits: tuple[int, ...] = DEFAULT_RES_BITS
    taps: str = "auto"
    calib_images: int = 512
    seed: int = 0
    test_images: int | None = None
    """Images of the test split for top-1 (None: all of them)."""
    cycle_images: int = 100
    """Test images the cycle model and the energy counts average over."""
    synth: bool = True
    """Run Yosys for resources (False: latency and accuracy only, no fits verdict)."""
    pnr: bool = False
    """Also place and route on the ECP5 boards (slow): post-route resources and fmax."""
    tool_timeout_s: float = 7200.0
    """Limit of one Yosys or nextpnr run (seconds)."""

    def boards_info(self) -> list[BoardInfo]:
        return [board_info(b) for b in self.boards]

    def check(self) -> None:
        """Every axis non-empty and free of repeats; boards known (before any task runs)."""
        for name in ("T", "methods", "lanes", "boards", "res_bits"):
            values = getattr(self, name)
            if not values:
                raise UsageError(f"sweep: the {name} axis is empty")
            if len(set(values)) != len(values):
                raise UsageError(f"sweep: the {name} axis repeats a value: {list(values)}")
        fit = [v for v in self.lanes if v.strip().lower().startswith("fit")]
        if fit:
            raise UsageError(
                f"sweep: lanes {fit[0]!r}: fit[PCT] picks one core per board, and a sweep synthesises "
                "each lanes setting once for every board; sweep lanes N, auto[BUDGET] or LAYER=N "
                "pairs (its report picks the best fitting point per board)"
            )
        self.boards_info()


@dataclass(frozen=True)
class Point:
    dataset: str
    T: int
    method: str
    res_bits: int
    lanes: str
    board: str

    def axes(self) -> dict:
        return {
            "dataset": self.dataset,
            "T": self.T,
            "method": self.method,
            "res_bits": self.res_bits,
            "lanes": self.lanes,
            "board": self.board,
        }


def points(cfg: SweepConfig) -> list[Point]:
    """Every point of the space, in a fixed order (T, method, resolution bits, lanes, board)."""
    return [
        Point(cfg.dataset, t, m, r, lanes, b)
        for t, m, r, lanes, b in itertools.product(
            cfg.T, cfg.methods, cfg.res_bits, cfg.lanes, cfg.boards
        )
    ]


__all__ = [
    "DEFAULT_BOARDS",
    "DEFAULT_LANES",
    "DEFAULT_METHODS",
    "DEFAULT_RES_BITS",
    "DEFAULT_T",
    "RESOURCE_KEYS",
    "BoardInfo",
    "Point",
    "SweepConfig",
    "board_info",
    "points",
]
