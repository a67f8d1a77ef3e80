"""The conversion pipeline: one readable list of named passes, an IR check after each.

    check_floatnet   floatnet -> floatnet   legal layer order
    fold_scales      floatnet -> snnspec    neurons of the method's kind, per-layer scales folded
    schedule         snnspec  -> snnspec    T wake steps + the method's presim / sleep steps
    <calibration>    snnspec  -> snnspec    the method's passes (data-driven, seeded)
    resolution       snnspec  -> snnspec    extra integer resolution bits where thresholds are small
    integerize       snnspec  -> network    round weights, biases, thresholds, initial membranes
    annotate_widths  network  -> network    range analysis: current/membrane/accumulator widths
    record_meta      network  -> network    source, method and settings in Network.meta

Use :func:`convert` (Python API) or ``fpgasnn convert`` (CLI).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from fpgasnn.convert.floatnet import FloatNet
from fpgasnn.convert.passes import (
    ANNOTATE_WIDTHS,
    CHECK_FLOATNET,
    FOLD_SCALES,
    INTEGERIZE,
    RECORD_META,
    RESOLUTION,
    SET_SCHEDULE,
    ConvertContext,
    Pass,
    check_stage,
)
from fpgasnn.convert.snnspec import RES_TARGET_BITS
from fpgasnn.errors import IRError


def build_pipeline(method) -> list[Pass]:
    """The passes of ``method`` (a :class:`fpgasnn.calibrate.Method`), in order."""
    return [
        CHECK_FLOATNET,
        FOLD_SCALES,
        SET_SCHEDULE,
        *method.passes,
        RESOLUTION,
        INTEGERIZE,
        ANNOTATE_WIDTHS,
        RECORD_META,
    ]


def run_pipeline(passes: list[Pass], obj, ctx: ConvertContext, stop_after: str | None = None):
    """Run ``passes`` on ``obj``; after each, check the IR of the stage it produced. ``stop_after``
    returns the intermediate result after the pass of that name."""
    stage = passes[0].expects
    for p in passes:
        if p.expects != stage:
            raise IRError(
                f"pass {p.name!r} expects stage {p.expects!r} but the pipeline is at {stage!r}"
            )
        t0 = time.perf_counter()
        obj = p(obj, ctx)
        ctx.times[p.name] = ctx.times.get(p.name, 0.0) + time.perf_counter() - t0
        stage = p.produces
        check_stage(stage, obj, p.name)
        if p.name == stop_after:
            break
    return obj


def make_context(
    fnet: FloatNet,
    T: int,
    method,
    *,
    weight_bits: int = 8,
    calib=None,
    calib_labels=None,
    seed: int = 0,
    res_target_bits: int = RES_TARGET_BITS,
) -> ConvertContext:
    hidden = len(fnet.activations())
    return ConvertContext(
        fnet=fnet,
        T=int(T),
        weight_bits=int(weight_bits),
        kind=method.kind,
        presim=method.presim(int(T)),
        sleep=method.sleep(int(T), hidden),
        calib_images=None if calib is None else np.asarray(calib),
        calib_labels=None if calib_labels is None else np.asarray(calib_labels),
        seed=seed,
        res_target_bits=int(res_target_bits),
        settings={"method": method.name, "method_description": method.description},
    )


def convert(
    fnet: FloatNet,
    T: int = 4,
    method: str = "qcfs",
    *,
    calib=None,
    calib_labels=None,
    weight_bits: int = 8,
    seed: int = 0,
    res_target_bits: int = RES_TARGET_BITS,
    return_spec: bool = False,
):
    """Convert ``fnet`` into an integer SNN with T wake steps using ``method`` (see
    :data:`fpgasnn.calibrate.METHODS`; "best" picks the bench's best for ``T`` and the network's levels). ``calib``: integer images from the
    TRAINING split for the data-driven methods (``calib_labels`` optional: model selection uses them).
    ``res_target_bits``: hidden stages get resolution bits until their integer threshold reaches
    2**res_target_bits (:func:`fpgasnn.convert.snnspec.choose_res_bits`; 0 rounds at the plain units).
    With ``return_spec=True`` also returns the calibrated :class:`SnnSpec` (for the float simulation)."""
    from fpgasnn.calibrate import get_method, network_levels

    m = get_method(method, T, network_levels(fnet))
    ctx = make_context(
        fnet,
        T,
        m,
        weight_bits=weight_bits,
        calib=calib,
        calib_labels=calib_labels,
        seed=seed,
        res_target_bits=res_target_bits,
    )
    if method == "best":
        ctx.settings["method_requested"] = "best"
    passes = build_pipeline(m)
    k = next(i for i, p in enumerate(passes) if p is INTEGERIZE)
    spec = run_pipeline(passes[:k], fnet, ctx)
    net = run_pipeline(passes[k:], spec, ctx)
    calib_s = sum(v for n, v in ctx.times.items() if n.startswith("calib:"))
    calib_cpu_s = sum(v for n, v in ctx.times.items() if n.startswith("calib_cpu:"))
    net = net.with_meta(calib_s=round(calib_s, 3), calib_cpu_s=round(calib_cpu_s, 3))
    return (net, spec) if return_spec else net


__all__ = ["build_pipeline", "convert", "make_context", "replace", "run_pipeline"]
