"""Vitis HLS / Vivado reports found in a project folder, read into the report's keys.

Keys follow hls4ml's report parser where the quantity is the same (BestLatency, WorstLatency,
IntervalMin, IntervalMax, TargetClockPeriod, EstimatedClockPeriod, LUT, FF, BRAM_18K, DSP, URAM).
- ``<top>_csynth.xml`` (any ``syn/report`` folder below the project): Vitis HLS C-synthesis estimates.
- a Vivado ``report_utilization`` text report (``*utilization*.rpt`` or ``vivado_synth.rpt``): post-
  synthesis or post-implementation counts; "Block RAM Tile" (36 Kb tiles, halves allowed) is converted
  to 18 Kb units.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from fpgasnn.errors import FpgasnnError


class ReportParseError(FpgasnnError):
    """A vendor report exists but cannot be read."""


def _num(text: str | None) -> float | int | None:
    if text is None:
        return None
    t = text.strip().split()[0] if text.strip() else ""
    try:
        v = float(t)
    except ValueError:
        return None
    return int(v) if v.is_integer() else v


def parse_csynth_xml(path: str | Path) -> dict:
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        raise ReportParseError(f"{path}: not a readable csynth.xml report: {e}") from None
    out: dict = {"source": f"Vitis HLS C synthesis estimate ({path.name})"}
    paths = {
        "TargetClockPeriod": "./UserAssignments/TargetClockPeriod",
        "EstimatedClockPeriod": "./PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod",
        "BestLatency": "./PerformanceEstimates/SummaryOfOverallLatency/Best-caseLatency",
        "WorstLatency": "./PerformanceEstimates/SummaryOfOverallLatency/Worst-caseLatency",
        "IntervalMin": "./PerformanceEstimates/SummaryOfOverallLatency/Interval-min",
        "IntervalMax": "./PerformanceEstimates/SummaryOfOverallLatency/Interval-max",
    }
    for key, xp in paths.items():
        node = root.find(xp)
        if node is not None:
            out[key] = _num(node.text)
    res = root.find("./AreaEstimates/Resources")
    if res is None:
        raise ReportParseError(f"{path}: no AreaEstimates/Resources section")
    for child in res:
        tag = "DSP" if child.tag == "DSP48E" else child.tag
        out[tag] = _num(child.text)
    return out


_UTIL_ROWS = [
    (re.compile(r"^\|\s*(CLB|Slice) LUTs\*?\s*\|"), "LUT", 1.0),
    (re.compile(r"^\|\s*(CLB|Slice) Registers\s*\|"), "FF", 1.0),
    (re.compile(r"^\|\s*Block RAM Tile\s*\|"), "BRAM_18K", 2.0),
    (re.compile(r"^\|\s*URAM\s*\|"), "URAM", 1.0),
    (re.compile(r"^\|\s*DSPs\s*\|"), "DSP", 1.0),
]


def parse_utilization_rpt(path: str | Path) -> dict:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        raise ReportParseError(f"{path}: cannot read: {e}") from None
    out: dict = {"source": f"Vivado utilization report ({path.name})"}
    for line in lines:
        for rx, key, scale in _UTIL_ROWS:
            if key not in out and rx.match(line):
                val = _num(line.split("|")[2])
                if val is not None:
                    v = val * scale
                    out[key] = int(v) if float(v).is_integer() else v
    if not any(k in out for k in ("LUT", "FF", "DSP")):
        raise ReportParseError(
            f"{path}: no LUT/FF/DSP rows found (not a report_utilization output?)"
        )
    return out


def find_vendor_reports(project_dir: str | Path) -> dict:
    """``{"csynth": {...}, "utilization": {...}}`` for whatever vendor reports exist below the project."""
    root = Path(project_dir)
    found: dict = {}
    xml = sorted(root.rglob("*_csynth.xml"))
    if xml:
        found["csynth"] = parse_csynth_xml(xml[0])
    rpts = sorted(
        p for p in root.rglob("*.rpt") if "utilization" in p.name or p.name == "vivado_synth.rpt"
    )
    if rpts:
        # prefer post-implementation (place/route) over post-synthesis utilization
        impl = [p for p in rpts if "place" in p.name or "route" in p.name or "impl" in str(p)]
        found["utilization"] = parse_utilization_rpt((impl or rpts)[0])
    return found
