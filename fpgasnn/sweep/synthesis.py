"""Yosys ``synth_ecp5`` resource counts of a core (no place and route): the ECP5 figures of a sweep
point when place and route is not asked for. Counted from ``stat -json``: LUT = LUT4 + 2 x CCU2C (a
carry cell holds two LUT4, as nextpnr counts TRELLIS_COMB) + 6 x TRELLIS_DPR16X4 (a 16 x 4
distributed RAM takes three slices of two LUT4: two hold the bits, one the write port), FF =
TRELLIS_FF, BRAM_18K = DP16KD + PDPW16KD (18 Kbit EBR blocks), DSP = MULT18X18D. Latches are an
error."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fpgasnn.backends.rtl.synth import yosys_cells
from fpgasnn.errors import BackendError


def ecp5_counts(cells: Mapping[str, int]) -> dict[str, int]:
    """LUT, FF, BRAM_18K, DSP from synth_ecp5's cells by type (module docstring)."""
    latches = {k: v for k, v in cells.items() if "DLATCH" in k.upper() or k.startswith("$_DLATCH")}
    if latches:
        raise BackendError(f"synthesis inferred latches: {latches}")
    return {
        "LUT": int(cells.get("LUT4", 0))
        + 2 * int(cells.get("CCU2C", 0))
        + 6 * int(cells.get("TRELLIS_DPR16X4", 0)),
        "FF": int(cells.get("TRELLIS_FF", 0)),
        "BRAM_18K": int(cells.get("DP16KD", 0)) + int(cells.get("PDPW16KD", 0)),
        "DSP": int(cells.get("MULT18X18D", 0)),
    }


def synth_ecp5_dir(folder: str | Path, timeout: float | None = 3600) -> dict[str, int]:
    """Synthesise the core whose files lie in ``folder`` for ECP5 (run from that folder)."""
    return ecp5_counts(yosys_cells(folder, "synth_ecp5", "Yosys synth_ecp5", timeout))


__all__ = ["ecp5_counts", "synth_ecp5_dir"]
