"""Accuracy records of a conversion: float ANN, quantized ANN, integer-weight ANN, float SNN, integer SNN.

- ``ann_float_top1_pct``: the FloatNet with each quantizer replaced by the ReLU clipped at lambda.
- ``ann_q_top1_pct``: the quantized ANN (L levels), the reference of the gap.
- ``ann_int_top1_pct``: the quantized ANN with the integer network's weights/thresholds scaled back
  (the cost of weight quantization alone).
- ``snn_float_top1_pct``: the float64 simulation of the converted SNN with the integer weights but
  unrounded biases, thresholds and initial membranes; ``float_int_agree_pct`` is the share of images on
  which it picks the same class as the integer SNN (what integerizing the rest costs).
- ``snn_top1_pct``: the golden model on the integer network; ``gap_pp = ann_q - snn``.
"""

from __future__ import annotations

import time
from dataclasses import asdict

import numpy as np

from fpgasnn.convert.analysis import ann_levels, ann_top1, layer_stats, top1
from fpgasnn.convert.floatnet import FloatNet
from fpgasnn.convert.floatsim import simulate_float
from fpgasnn.convert.pipeline import convert
from fpgasnn.convert.snnspec import (
    RES_TARGET_BITS,
    fold_scales,
    integer_weight_ann,
    weights_rounded,
)
from fpgasnn.golden.simulate import simulate
from fpgasnn.ir.nodes import Schedule


def res_bits_text(net) -> str:
    """The conversion's resolution bits per layer as a record holds them ("conv1=17/fc2=17"), or
    "none" where the conversion kept the plain integer units."""
    return "/".join(f"{k}={v}" for k, v in net.meta.get("res_bits", {}).items()) or "none"


def evaluate_conversion(
    fnet: FloatNet,
    images: np.ndarray,
    labels: np.ndarray,
    T: int,
    method: str = "qcfs",
    *,
    calib=None,
    calib_labels=None,
    weight_bits: int = 8,
    seed: int = 0,
    float_sim: bool = True,
    dataset: str = "",
    ann_cache: dict | None = None,
    res_target_bits: int = RES_TARGET_BITS,
    keras_classes: np.ndarray | None = None,
) -> dict:
    """Convert ``fnet`` for ``T`` with ``method`` and measure it on ``images`` (a record, JSON-ready).

    ``keras_classes``: the classes the source Keras model itself gives ``images``; the record then has
    ``keras_top1_pct`` and ``keras_agree_pct`` (share of images on which the SNN agrees with it).
    ``ann_cache``: a dict kept by the caller for ONE (fnet, images, labels); the ANN figures and the
    ANN levels for T (which do not depend on the method) are computed once per T and weight bits."""
    cache = {} if ann_cache is None else ann_cache
    t0 = time.perf_counter()
    net, spec = convert(
        fnet,
        T,
        method,
        calib=calib,
        calib_labels=calib_labels,
        weight_bits=weight_bits,
        seed=seed,
        res_target_bits=res_target_bits,
        return_spec=True,
    )
    convert_s = time.perf_counter() - t0
    base = fold_scales(fnet, weight_bits=weight_bits, schedule=Schedule(T))
    iw = integer_weight_ann(base, fnet)
    t0 = time.perf_counter()
    res = simulate(net, images)
    sim_s = time.perf_counter() - t0
    if ("top1", weight_bits) not in cache:
        cache[("top1", weight_bits)] = (
            ann_top1(fnet, images, labels, quantized=False),
            ann_top1(fnet, images, labels),
            ann_top1(iw, images, labels),
        )
    ann_f, ann_q, ann_i = cache[("top1", weight_bits)]
    if ("levels", T, weight_bits) not in cache:
        cache[("levels", T, weight_bits)] = ann_levels(iw, images, T)
    snn = top1(res.classes, labels)
    stats = layer_stats(
        res.counts, res.spike_events, cache[("levels", T, weight_bits)], net.schedule.total
    )
    rec = {
        "dataset": dataset,
        "method": net.meta["method"],
        "T": int(T),
        "total_steps": net.schedule.total,
        "presim": net.schedule.presim,
        "sleep": net.schedule.sleep,
        "images": len(images),
        "weight_bits": weight_bits,
        "res_bits": res_bits_text(net),
        "ann_float_top1_pct": ann_f,
        "ann_q_top1_pct": ann_q,
        "ann_int_top1_pct": ann_i,
        "snn_top1_pct": snn,
        "gap_pp": round(ann_q - snn, 4),
        "offbyone_pct": float(np.mean([s.offbyone_pct for s in stats])),
        "layers": [asdict(s) for s in stats],
        "calib_s": float(net.meta.get("calib_s", 0.0)),
        "calib_cpu_s": float(net.meta.get("calib_cpu_s", 0.0)),
        "calibration_images": int(net.meta.get("calibration_images", 0)),
        "convert_s": round(convert_s, 3),
        "snn_images_per_s": round(len(images) / max(sim_s, 1e-9), 1),
    }
    if keras_classes is not None:
        rec["keras_top1_pct"] = top1(keras_classes, labels)
        rec["keras_agree_pct"] = round(100.0 * float(np.mean(res.classes == keras_classes)), 4)
    if float_sim:
        f = simulate_float(weights_rounded(spec), images)
        rec["snn_float_top1_pct"] = top1(f.classes, labels)
        rec["float_int_agree_pct"] = round(100.0 * float(np.mean(f.classes == res.classes)), 4)
    return rec
