"""Collect one project's report: accuracy, spike rates, latency/throughput, resources, energy.

Every figure carries a ``how`` string saying how it was obtained. Sources:
- accuracy and spike rates: the golden model on the data set's test split (``fpgasnn.data``);
- latency: the RTL cycle model (exact: the RTL benches assert measured == model) on those images;
- resources: Yosys ``synth_xilinx`` of the generated Verilog for the board's family -- a pre-place-and-
  route estimate; replaced by Vitis/Vivado reports when the project folder holds them;
- energy: exact operation counts from the golden model's trace times 45 nm energy constants.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fpgasnn.boards import Board
from fpgasnn.golden import simulate
from fpgasnn.ir import annotate_widths
from fpgasnn.ir.network import Network
from fpgasnn.ir.nodes import OP_NAMES, Neuron
from fpgasnn.report.energy import ENERGY_SOURCE, count_ops
from fpgasnn.report.vendor import find_vendor_reports

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportOptions:
    dataset: str | None = None
    """Data set for accuracy (its test split); None: seeded random images, no accuracy."""
    images: int = 10000
    """Images for accuracy and spike rates (capped by the split's size)."""
    cycle_images: int = 200
    """Images the cycle model and the energy counts average over."""
    synth: bool = True
    """Run Yosys for the resource estimate (else only vendor reports, if any)."""
    accuracy_records: tuple[dict, ...] = ()
    """Optional records (method, T, snn_top1_pct) for the accuracy-vs-T plot."""


def layer_rows(net: Network) -> list[dict]:
    net = annotate_widths(net)
    rows = []
    for node, shape in zip(net.nodes, net.shapes(), strict=False):
        bits = (
            getattr(node, "membrane_bits", None)
            or getattr(node, "current_bits", None)
            or getattr(node, "acc_bits", None)
            or ""
        )
        rows.append(
            {
                "layer": node.name,
                "op": OP_NAMES[type(node)],
                "shape": "x".join(map(str, shape)),
                "bits": bits,
                "params": net.param_count(node),
            }
        )
    return rows


def _images(net: Network, opts: ReportOptions) -> tuple[np.ndarray, np.ndarray | None, str]:
    if opts.dataset:
        from fpgasnn.data import load_dataset

        x, y = load_dataset(opts.dataset, "test")
        n = min(opts.images, len(x))
        return x[:n], y[:n], f"{opts.dataset} test split"
    lo, hi = net.input.value_range
    x = np.random.default_rng(0).integers(
        lo, hi, size=(opts.cycle_images, *net.input.shape), endpoint=True
    )
    return x, None, "seeded random images"


def spike_rates(net: Network, res) -> dict[str, float]:
    steps = net.schedule.total
    out = {}
    for node, shape in zip(net.nodes, net.shapes(), strict=False):
        if isinstance(node, Neuron):
            out[node.name] = float(res.spike_events[node.name].mean()) / (
                int(np.prod(shape)) * steps
            )
    return out


def resources_section(board: Board, counts: dict, how: str) -> dict:
    sec = {k: counts[k] for k in ("LUT", "FF", "BRAM_18K", "DSP") if k in counts}
    sec["pct"] = {
        k: 100.0 * float(v) / board.resources[k] if board.resources.get(k) else float("inf")
        for k, v in sec.items()
    }
    sec["fits"] = all(p <= 100.0 for p in sec["pct"].values())
    sec["how"] = how
    return sec


def collect(project_dir: str | Path, opts: ReportOptions, *, latency=None, resources=None) -> dict:
    """The report dict. ``latency``/``resources``: callables (net, lanes, board, images) -> section,
    supplied by the RTL back end (kept injectable so the report does not hard-wire a back end)."""
    from fpgasnn.backends.hls.project import project_config, read_project

    doc, net, board = read_project(project_dir)
    lanes = project_config(doc)  # the lowering both back ends share (cycles, resources)
    x, y, src = _images(net, opts)
    rep: dict = {
        "project": str(project_dir),
        "board": board.to_dict(),
        "clock_mhz": board.clock_mhz,
        "schedule": doc.get("schedule"),
        "lanes": doc.get("lanes"),
        "taps": doc.get("taps"),
        "network_meta": net.meta,
        "layers": layer_rows(net),
    }
    log.info("golden model on %d images", len(x))
    res = simulate(net, x)
    if y is not None:
        rep["accuracy"] = {
            "dataset": opts.dataset,
            "images": len(x),
            "snn_top1_pct": round(100.0 * float(np.mean(res.classes == y)), 3),
            "how": f"golden model (bit-exact with csim/rtlsim) on the first {len(x)} images of the {src}",
        }
    rep["spike_rates"] = spike_rates(net, res)
    if opts.accuracy_records:
        rep["accuracy_vs_T"] = list(opts.accuracy_records)
    xc = x[: opts.cycle_images]
    ops = count_ops(net, xc)
    rep["energy"] = {
        "sop": ops.sop,
        "mac": ops.mac,
        "ann_mac": ops.ann_mac,
        "sop_per_layer": ops.sop_per_layer,
        "energy_nj": ops.energy_nj,
        "ann_energy_nj": ops.ann_energy_nj,
        "how": f"exact counts from the golden trace, mean over {len(xc)} images ({src}); {ENERGY_SOURCE}",
    }
    if latency is not None:
        rep["latency"] = latency(net, lanes, board, xc)
    vendor = find_vendor_reports(project_dir)
    if vendor:
        rep["vendor"] = vendor
        util = vendor.get("utilization") or vendor.get("csynth")
        rep["resources"] = resources_section(board, util, util["source"])
        hls = vendor.get("csynth", {})
        if hls.get("WorstLatency") is not None:
            period_ns = float(hls.get("TargetClockPeriod") or 1000.0 / board.clock_mhz)
            rep["latency_hls"] = {
                **{
                    k: hls[k]
                    for k in ("BestLatency", "WorstLatency", "IntervalMin", "IntervalMax")
                    if hls.get(k) is not None
                },
                "latency_us_worst": float(hls["WorstLatency"]) * period_ns / 1000.0,
                "how": f"{hls['source']}: the HLS core's worst case at its {period_ns:g} ns target clock",
            }
    elif resources is not None and opts.synth:
        rep["resources"] = resources(net, lanes, board, project_dir)
    return rep
