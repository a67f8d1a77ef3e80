"""Where the report's latency and resource figures come from: the RTL back end's cycle model and Yosys.

Kept apart so collect.py stays independent of a back end: ``collect`` receives these as callables.

- ``latency``: the exact cycle model of the generated Verilog core (the RTL benches assert that the
  cycles Verilator measures EQUAL the model's), evaluated on the report's images.
- ``resources``: Yosys ``synth_xilinx`` of the project's ``rtl/`` folder for the board's family, a
  pre-place-and-route estimate. The Yosys statistics are cached in ``PROJECT/report/yosys_stat.json``
  keyed by a hash of the Verilog sources and the family, so ``fpgasnn synth`` and ``fpgasnn report`` on
  an unchanged project run Yosys once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from fpgasnn.boards import Board
from fpgasnn.errors import BackendError
from fpgasnn.ir.network import Network

log = logging.getLogger(__name__)

CACHE_FILE = "yosys_stat.json"


def latency(net: Network, lanes, board: Board, images: np.ndarray) -> dict:
    """Latency/throughput section (hls4ml key names for the cycle counts)."""
    from fpgasnn.backends.rtl.cycles import estimate
    from fpgasnn.hw import HwConfig, lower

    hw = lower(net, HwConfig.make(lanes))
    est = estimate(hw, images)
    mhz = float(board.clock_mhz)
    mean = float(est.alone.mean())
    names = [s.activation.name for s in net.stages()]
    per_layer = []
    for i, (name, st) in enumerate(zip(names, hw.stages, strict=False)):
        per_layer.append(
            {
                "layer": name,
                "cycles": float(est.stage_cycles[:, i].mean()),
                "lower_bound": float(est.layer_bound[:, i].mean()),
                "synaptic_events": float(est.events[:, i].mean()),
                "lanes": int(st.lanes),
                "taps": int(st.taps),
                "update_words": int(st.update_words),
            }
        )
    return {
        "BestLatency": int(est.alone.min()),
        "WorstLatency": int(est.alone.max()),
        "IntervalMin": int(est.interval.min()),
        "IntervalMax": int(est.interval.max()),
        "cycles_mean": mean,
        "interval_mean": float(est.interval.mean()),
        "lower_bound_mean": float(est.lower_bound.mean()),
        "interval_lower_bound_mean": float(est.interval_lower_bound.mean()),
        "streamed_latency_mean": float(est.cycles.mean()),
        "latency_us_mean": mean / mhz,
        "latency_us_worst": float(est.alone.max()) / mhz,
        "images_per_s": mhz * 1e6 / float(est.interval.mean()),
        "clock_mhz": mhz,
        "images": len(est.cycles),
        "per_layer": per_layer,
        "how": (
            f"exact cycle model of the pipelined Verilog core (RTL simulation asserts measured == model "
            f"for latency and interval) over {len(est.cycles)} images at the board clock {mhz:g} MHz: "
            "latency = first input beat to class beat of an image entering an empty core; interval = "
            "first beats of consecutive images streamed back to back (the slowest layer sets it); "
            "per layer: busy cycles per image against ceil(synaptic events / (lanes x parallel taps)), "
            "the update pass one or two words (positions) per cycle; "
            "bounds: interval >= max(pixels, largest layer bound), latency >= that + output beats"
        ),
    }


def _rtl_digest(rtl: Path, family: str) -> str:
    h = hashlib.sha256(family.encode())
    for p in sorted(rtl.rglob("*")):
        if p.is_file() and p.name != "stat.json":
            h.update(p.relative_to(rtl).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def synthesize(project_dir: str | Path, board: Board, *, timeout: float | None = 3600) -> dict:
    """Yosys resource counts of the project's Verilog (cached; see the module docstring)."""
    from fpgasnn.backends.rtl.synth import count_cells, synth_dir

    root = Path(project_dir)
    rtl = root / "rtl"
    if not (rtl / "snn_top.v").is_file():
        raise BackendError(
            f"{root}: no rtl/snn_top.v in the project; rebuild it with `fpgasnn build`"
        )
    family = board.yosys_family
    digest = _rtl_digest(rtl, family)
    cache = root / "report" / CACHE_FILE
    if cache.is_file():
        try:
            doc = json.loads(cache.read_text())
            if doc.get("digest") == digest:
                # (counted again from the cells: a cache written by an older fpgasnn counted fewer)
                res = count_cells(doc["cells"])
                return {
                    **doc,
                    "LUT": res.LUT,
                    "FF": res.FF,
                    "BRAM_18K": res.BRAM_18K,
                    "DSP": res.DSP,
                }
        except ValueError:
            pass
    with tempfile.TemporaryDirectory(prefix="fpgasnn_synth_") as tmp:
        work = Path(tmp) / "rtl"
        shutil.copytree(rtl, work)
        t0 = time.perf_counter()
        res = synth_dir(work, family, timeout=timeout)
        seconds = time.perf_counter() - t0
    doc = {
        "digest": digest,
        "family": family,
        "LUT": res.LUT,
        "FF": res.FF,
        "BRAM_18K": res.BRAM_18K,
        "DSP": res.DSP,
        "cells": res.cells,
        "synth_s": round(seconds, 1),
    }
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return doc


def resources(net: Network, lanes, board: Board, project_dir: str | Path) -> dict:
    """Resources section: Yosys counts with % of the board and a fits verdict."""
    from fpgasnn.report.collect import resources_section

    doc = synthesize(project_dir, board)
    how = (
        f"Yosys synth_xilinx -family {doc['family']} -flatten of rtl/ (pre-place-and-route estimate; "
        f"LUT = LUT1..LUT6 cells plus the LUTs of distributed RAM and shift registers (RAM64M and "
        f"RAM32M 4 each, SRL 1), BRAM_18K = RAMB18 + 2 x RAMB36, DSP = DSP48 cells)"
    )
    sec = resources_section(board, doc, how)
    sec["synth_s"] = doc.get("synth_s")
    return sec


def latency_section():
    return latency


def resources_section_fn():
    return resources
