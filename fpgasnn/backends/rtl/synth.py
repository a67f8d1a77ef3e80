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


@dataclass(frozen=True)
class Resources:
    LUT: int
    FF: int
    BRAM_18K: int
    DSP: int
    cells: dict[str, int]


def count_cells(cells: Mapping[str, int]) -> Resources:
    lut = sum(v for k, v in cells.items() if k.startswith("LUT") and k[3:].isdigit())
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


__all__ = ["Resources", "count_cells", "synth", "synth_dir", "yosys_cells"]
