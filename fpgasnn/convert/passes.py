"""Named conversion passes. A pass states the stage it expects and the stage it produces; the pipeline
(:mod:`fpgasnn.convert.pipeline`) checks the IR after each one.

Stages: ``floatnet`` (a :class:`FloatNet`), ``snnspec`` (an :class:`SnnSpec`: the converted SNN with
unrounded parameters), ``network`` (the integer :class:`fpgasnn.ir.Network`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fpgasnn.convert.floatnet import FloatNet
from fpgasnn.convert.snnspec import (
    RES_TARGET_BITS,
    SnnSpec,
    choose_res_bits,
    fold_scales,
    integerize,
    split_stages,
)
from fpgasnn.errors import FrontendError, IRError
from fpgasnn.ir.network import Network, verify
from fpgasnn.ir.nodes import NeuronKind, Schedule
from fpgasnn.ir.ranges import annotate_widths

STAGES = ("floatnet", "snnspec", "network")


@dataclass
class ConvertContext:
    """What the passes share: the source, the settings, calibration data and a log of pass times."""

    fnet: FloatNet
    T: int
    weight_bits: int = 8
    kind: NeuronKind = NeuronKind.IF
    presim: int = 0
    sleep: int = 0
    calib_images: np.ndarray | None = None
    calib_labels: np.ndarray | None = None
    seed: int = 0
    res_target_bits: int = RES_TARGET_BITS
    """Resolution bits bring every integer threshold to 2**this (:func:`choose_res_bits`; 0: off)."""
    settings: dict[str, Any] = field(default_factory=dict)
    times: dict[str, float] = field(default_factory=dict)
    calib: Any = None  # fpgasnn.calibrate.common.CalibData, built on first use


@dataclass(frozen=True)
class Pass:
    name: str
    expects: str
    produces: str
    fn: Callable[[Any, ConvertContext], Any]
    doc: str = ""

    def __call__(self, obj: Any, ctx: ConvertContext) -> Any:
        return self.fn(obj, ctx)


def check_stage(stage: str, obj: Any, after: str) -> None:
    """The IR check run after every pass: type and internal consistency of ``obj`` for ``stage``."""
    want = {"floatnet": FloatNet, "snnspec": SnnSpec, "network": Network}[stage]
    if not isinstance(obj, want):
        raise IRError(f"pass {after!r} should produce a {want.__name__}, got {type(obj).__name__}")
    if stage == "floatnet":
        split_stages(obj)
    elif stage == "snnspec":
        for st in obj.stages:
            arrays = [st.weight] + ([] if st.bias is None else [st.bias])
            if not st.is_output:
                arrays.append(np.asarray(st.v0, dtype=np.float64))
                if not st.theta > 0:
                    raise IRError(
                        f"after pass {after!r}: layer {st.act.name!r} has threshold "
                        f"{st.theta}, expected > 0"
                    )
            if not all(np.all(np.isfinite(a)) for a in arrays):
                raise IRError(f"after pass {after!r}: layer {st.name!r} has non-finite parameters")
    else:
        verify(obj)


def _check_floatnet(fnet: FloatNet, ctx: ConvertContext) -> FloatNet:
    acts = fnet.activations()
    if not acts:
        raise FrontendError(
            "the FloatNet has no quantized activation; nothing to map to spiking neurons"
        )
    return fnet


def _fold_scales(fnet: FloatNet, ctx: ConvertContext) -> SnnSpec:
    return fold_scales(fnet, weight_bits=ctx.weight_bits, kind=ctx.kind, schedule=Schedule(ctx.T))


def _schedule(spec: SnnSpec, ctx: ConvertContext) -> SnnSpec:
    from dataclasses import replace

    return replace(spec, schedule=Schedule(wake=ctx.T, presim=ctx.presim, sleep=ctx.sleep))


def _resolution(spec: SnnSpec, ctx: ConvertContext) -> SnnSpec:
    spec = choose_res_bits(spec, ctx.res_target_bits)
    ctx.settings["res_bits"] = {
        st.name: st.res_bits for st in spec.stages if st.res_bits
    }  # -> meta
    return spec


def _integerize(spec: SnnSpec, ctx: ConvertContext) -> Network:
    return integerize(spec)


def _annotate(net: Network, ctx: ConvertContext) -> Network:
    return annotate_widths(net)


def _record_meta(net: Network, ctx: ConvertContext) -> Network:
    meta = {
        "source": ctx.fnet.meta.get("source", "<FloatNet>"),
        "converter": "fpgasnn.convert",
        "T": ctx.T,
        "total_steps": net.schedule.total,
        "weight_bits": ctx.weight_bits,
        "neuron_kind": ctx.kind.value,
        "calibration_images": 0 if ctx.calib_images is None else len(ctx.calib_images),
        "seed": ctx.seed,
        "pass_seconds": {k: round(v, 3) for k, v in ctx.times.items()},
        **ctx.settings,
    }
    return net.with_meta(
        **{
            k: v
            for k, v in meta.items()
            if isinstance(v, (str, int, float, bool, dict, list, type(None)))
        }
    )


CHECK_FLOATNET = Pass(
    "check_floatnet",
    "floatnet",
    "floatnet",
    _check_floatnet,
    "the chain is (pool|flatten)* conv|dense act ... conv|dense",
)
FOLD_SCALES = Pass(
    "fold_scales",
    "floatnet",
    "snnspec",
    _fold_scales,
    "map activations to neurons, fold per-layer scales (max |W| = 2**(bits-1)-1)",
)
SET_SCHEDULE = Pass("schedule", "snnspec", "snnspec", _schedule, "T wake steps, presim, sleep")
RESOLUTION = Pass(
    "resolution",
    "snnspec",
    "snnspec",
    _resolution,
    "extra integer resolution bits where thresholds are small (float/int agreement)",
)
INTEGERIZE = Pass(
    "integerize", "snnspec", "network", _integerize, "round weights, biases, thresholds, v0"
)
ANNOTATE_WIDTHS = Pass("annotate_widths", "network", "network", _annotate, "range analysis")
RECORD_META = Pass("record_meta", "network", "network", _record_meta, "source and settings in meta")
