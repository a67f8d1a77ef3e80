"""Yosys synthesis of a generated core (``synth_xilinx -flatten -noiopad``) and its resource counts,
read from ``stat -json`` (design.num_cells_by_type). Latches are an error."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fpgasnn import toolchain
from fpgasnn.backends.plan import write_plan
from fpgasnn.backends.rtl.emit import LIBRARY, TOP, rtl_plan
from fpgasnn.errors import BackendError
from fpgasnn.ir.network import Network

LUTS_PER_MEMORY_CELL = {
    "RAM32X1S": 1,
    "RAM64X1S": 1,
    "RAM128X1S": 2,
    "RAM256X1S": 4,
    "RAM32X1D": 2,
    "RAM64X1D": 2,
    "RAM128X1D": 4,
    "RAM32M": 4,
    "RAM64M": 4,
    "RAM256X1D": 8,
    "RAM512X1S": 8,
    "RAM32M16": 8,
    "RAM64M8": 8,
    "SRL16E": 1,
    "SRLC16E": 1,
    "SRLC32E": 1,
}
"""LUTs (in SLICEMs) of each Xilinx distributed-RAM and shift-register primitive Yosys maps to
(7-series and UltraScale): they are LUTs of the part like any other (Vivado's "LUT as Memory")."""


@dataclass(frozen=True)
class Resources:
    LUT: int
    """Every LUT of the part the core takes: logic LUTs (LUT1-LUT6) and LUTs used as distributed
    RAM or shift registers (:data:`LUTS_PER_MEMORY_CELL`). Yosys's INV cells are not counted (Vivado
    folds inverters into the LUTs around them)."""
    FF: int
    BRAM_18K: int
    DSP: int
    cells: dict[str, int]

    @property
    def LUT_memory(self) -> int:  # noqa: N802 (the resource's name)
        """The LUTs of :attr:`LUT` used as distributed RAM or shift registers."""
        return memory_luts(self.cells)


def memory_luts(cells: Mapping[str, int]) -> int:
    """LUTs of the distributed-RAM and shift-register cells among ``cells``."""
    return sum(LUTS_PER_MEMORY_CELL.get(k, 0) * v for k, v in cells.items())


def count_cells(cells: Mapping[str, int]) -> Resources:
    lut = sum(v for k, v in cells.items() if k.startswith("LUT") and k[3:].isdigit())
    lut += memory_luts(cells)
    unknown = sorted(
        k
        for k in cells
        if k.startswith("RAM") and not k.startswith("RAMB") and k not in LUTS_PER_MEMORY_CELL
    )
    if unknown:
        raise BackendError(f"synthesis used distributed-RAM cells fpgasnn cannot count: {unknown}")
    ff = sum(v for k, v in cells.items() if k.startswith("FD"))
    bram = sum(v for k, v in cells.items() if k.startswith("RAMB18")) + 2 * sum(
        v for k, v in cells.items() if k.startswith("RAMB36")
    )
    dsp = sum(v for k, v in cells.items() if k.startswith("DSP48"))
    latches = {k: v for k, v in cells.items() if k.startswith("LD") or "DLATCH" in k.upper()}
    if latches:
        raise BackendError(f"synthesis inferred latches: {latches}")
    return Resources(lut, ff, bram, dsp, dict(sorted(cells.items())))


def yosys_cells(
    folder: str | Path, synth_cmd: str, what: str, timeout: float | None = 3600
) -> dict[str, int]:
    """Run ``synth_cmd`` (e.g. ``synth_xilinx -family xc7 -flatten -noiopad``) over the core whose
    files lie in ``folder`` (run from that folder, relative paths); its cells by type."""
    folder = Path(folder)
    files = " ".join((*LIBRARY, f"{TOP}.v"))
    script = (
        f"read_verilog -defer -sv {files}; hierarchy -top {TOP}; {synth_cmd} -top {TOP}; "
        "tee -q -o stat.json stat -json"
    )
    toolchain.run_tool(
        [toolchain.yosys(), "-q", "-p", script], cwd=folder, what=what, timeout=timeout
    )
    stat = json.loads((folder / "stat.json").read_text())
    return stat["design"]["num_cells_by_type"]


def synth_dir(folder: str | Path, family: str = "xc7", timeout: float | None = 3600) -> Resources:
    """Synthesise the core whose files lie in ``folder`` for a Xilinx family."""
    synth_cmd = f"synth_xilinx -family {family} -flatten -noiopad"
    return count_cells(yosys_cells(folder, synth_cmd, "Yosys synth_xilinx", timeout))


def synth(net: Network, lanes, workdir: str | Path, family: str = "xc7") -> Resources:
    workdir = Path(workdir)
    write_plan(rtl_plan(net, lanes), workdir, force=True)
    return synth_dir(workdir, family)


__all__ = [
    "LUTS_PER_MEMORY_CELL",
    "Resources",
    "count_cells",
    "memory_luts",
    "synth",
    "synth_dir",
    "yosys_cells",
]
