"""SnnSpec: the converted SNN before rounding -- the integer network's equations with float parameters.

A FloatNet layer ``z = W x + b`` followed by ``FAct(L, lam, shift)`` becomes a stage of IF-family neurons
whose input spikes each stand for ``lam_prev`` (the previous layer's threshold; for the first layer one
input unit is one pixel worth ``FInput.scale``). AvgPool becomes a window SUM, so one summed unit stands
for ``lam_prev / k**2``. Per step the neuron adds ``W * unit_in * s + b`` and fires at ``lam``.

Every stage is then divided by its own scale ``c`` chosen so that ``max |W| = 2**(bits-1) - 1``: weights,
bias, threshold and initial membrane are all in that layer's integer units, and :func:`integerize` only
rounds. The initial membrane is ``shift * theta`` (QCFS: theta/2; CASC floor quantizer: 0) unless a
calibration method changed it. The output stage is divided the same way (argmax does not see scales).

Resolution bits: a hidden stage with ``res_bits = k`` is integerized at 2**k times finer units -- its
weights become ``rint(weight) * 2**k`` (still the same ``weight_bits``-bit values, shifted), its bias,
threshold and initial membrane are rounded after scaling by 2**k. Nothing changes in the float model;
only the rounding error of the non-weight parameters shrinks 2**k times (see :func:`choose_res_bits`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from fpgasnn.convert.floatnet import FAct, FConv, FDense, FFlatten, FInput, FloatNet, FPool
from fpgasnn.errors import FrontendError, IRError
from fpgasnn.ir.network import Network
from fpgasnn.ir.nodes import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    Input,
    Neuron,
    NeuronKind,
    Output,
    Schedule,
)


@dataclass(frozen=True, eq=False)
class SnnStage:
    """One stage of the converted SNN, in its own integer units (see the module docstring).

    ``act`` is the source activation (None for the output stage); ``theta``/``v0`` are float, ``v0``
    a scalar or an array of the stage's output shape (C, H, W) / (F,).
    """

    name: str
    transforms: tuple[FPool | FFlatten, ...]
    weight: np.ndarray
    bias: np.ndarray | None
    conv: bool
    stride: int = 1
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    act: FAct | None = None
    kind: NeuronKind = NeuronKind.IF
    theta: float = 1.0
    v0: float | np.ndarray = 0.0
    scale: float = 1.0
    """Value (in the FloatNet's units) of one integer unit of this stage's current."""
    unit_in: float = 1.0
    """Value of one input unit of the synapse (after the window sums) in the FloatNet's units."""
    res_bits: int = 0
    """Extra resolution bits of the integer stage (module docstring); the float parameters ignore it."""

    @property
    def is_output(self) -> bool:
        return self.act is None

    def pool_factor(self) -> int:
        f = 1
        for t in self.transforms:
            if isinstance(t, FPool):
                f *= t.pool * t.pool
        return f


@dataclass(frozen=True, eq=False)
class SnnSpec:
    """The converted SNN before rounding: input, stages (last = output), schedule, metadata."""

    input: FInput
    stages: tuple[SnnStage, ...]
    schedule: Schedule
    weight_bits: int = 8
    output_name: str = "output"
    meta: dict[str, Any] = field(default_factory=dict)

    def hidden(self) -> tuple[SnnStage, ...]:
        return self.stages[:-1]

    def with_stage(self, i: int, **changes) -> SnnSpec:
        stages = list(self.stages)
        stages[i] = replace(stages[i], **changes)
        return replace(self, stages=tuple(stages))

    def with_meta(self, **meta) -> SnnSpec:
        return replace(self, meta={**self.meta, **meta})


def split_stages(fnet: FloatNet) -> list[tuple[tuple, FConv | FDense, FAct | None]]:
    """(transforms, synapse, activation or None) per stage; FrontendError for an illegal layer order."""
    out = []
    pending: list = []
    syn = None
    for layer in fnet.layers[1:]:
        if isinstance(layer, (FPool, FFlatten)):
            if syn is not None:
                raise FrontendError(
                    f"layer {layer.name!r}: a pooling/flatten layer follows "
                    f"{syn.name!r} directly; expected an activation first"
                )
            pending.append(layer)
        elif isinstance(layer, (FConv, FDense)):
            if syn is not None:
                raise FrontendError(
                    f"layer {layer.name!r} follows {syn.name!r} with no activation "
                    "between them; fold linear layers first"
                )
            syn = layer
        elif isinstance(layer, FAct):
            if syn is None:
                raise FrontendError(f"activation {layer.name!r} does not follow a Conv/Dense layer")
            out.append((tuple(pending), syn, layer))
            pending, syn = [], None
        else:
            raise FrontendError(
                f"layer {getattr(layer, 'name', layer)!r}: unknown FloatNet layer "
                f"{type(layer).__name__}"
            )
    out.append((tuple(pending), syn, None))
    return out


def fold_scales(
    fnet: FloatNet,
    *,
    weight_bits: int = 8,
    kind: NeuronKind = NeuronKind.IF,
    schedule: Schedule | None = None,
) -> SnnSpec:
    """FloatNet -> SnnSpec: map activations to neurons of ``kind`` and fold per-stage scales."""
    if not 2 <= weight_bits <= 32:
        raise FrontendError(f"weight bits must be in 2..32, got {weight_bits}")
    wmax = float((1 << (weight_bits - 1)) - 1)
    unit = float(fnet.input.scale)
    stages = []
    for transforms, syn, act in split_stages(fnet):
        unit_in = unit
        for t in transforms:
            if isinstance(t, FPool):
                unit_in /= t.pool * t.pool
        w_eff = syn.weight * unit_in
        peak = float(np.abs(w_eff).max()) if w_eff.size else 0.0
        if peak == 0.0:
            raise FrontendError(f"layer {syn.name!r}: all weights are zero; nothing to convert")
        c = peak / wmax
        bias = None if syn.bias is None else syn.bias / c
        conv = isinstance(syn, FConv)
        common = {
            "name": syn.name,
            "transforms": transforms,
            "weight": w_eff / c,
            "bias": bias,
            "conv": conv,
            "stride": syn.stride if conv else 1,
            "padding": syn.padding if conv else (0, 0, 0, 0),
            "scale": c,
            "unit_in": unit_in,
        }
        if act is None:
            stages.append(SnnStage(**common))
        else:
            theta = act.lam / c
            stages.append(SnnStage(**common, act=act, kind=kind, theta=theta, v0=act.shift * theta))
            unit = act.lam
    return SnnSpec(
        fnet.input,
        tuple(stages),
        schedule or Schedule(wake=fnet.activations()[0].levels if fnet.activations() else 1),
        weight_bits=weight_bits,
        meta=dict(fnet.meta),
    )


RES_TARGET_BITS = 17
""":func:`choose_res_bits` refines a stage until its integer threshold reaches 2**RES_TARGET_BITS."""
RES_MAX_BITS = 12


def choose_res_bits(spec: SnnSpec, target_bits: int = RES_TARGET_BITS) -> SnnSpec:
    """Give each hidden stage the resolution bits that bring its integer threshold to at least
    ``2**target_bits`` (at most ``RES_MAX_BITS``; 0 when one bias-on step makes the rounding exact;
    ``target_bits = 0`` refines nothing).

    Why: the integer network fires where ``I >= theta - v0 - t*b + n*theta`` with an integer current
    ``I``; rounding theta, v0 and b moves those bounds by up to ~(T+2)/2 units, so a neuron whose
    current lands within that band of a bound fires differently from the float model. The band is fixed
    in integer units, so the share of such neurons falls as 1/theta: at theta ~ 800 (a typical hidden
    layer) a few neurons per image flip and ~0.5 % of the classes change at T = 2. Fashion-MNIST
    (qcfs and twostage, T = 2 and 4), the share of test images on which the float and the integer
    network pick the same class on 5,000 test images: 99.18-99.70 % unrefined, 99.76-99.94 % at
    target 14 and 99.98-100 % at target 17 (``python bench/resolution.py``) (bench/conversion.py records ``float_int_agree_pct``). The cost is k more
    membrane bits per refined layer (the back ends store the weights shifted down): on the MNIST
    reference SNN (auto128 lanes, Yosys) LUT and BRAM grow ~6 % at target 14 and ~14 % at target 17.
    """
    if spec.schedule.presim + spec.schedule.wake == 1 or target_bits <= 0:
        return spec
    stages = []
    for st in spec.stages:
        k = 0
        if not st.is_output and st.theta > 0:
            k = int(np.clip(np.ceil(target_bits - np.log2(st.theta)), 0, RES_MAX_BITS))
        stages.append(replace(st, res_bits=k))
    return replace(spec, stages=tuple(stages))


def int_weight(st: SnnStage) -> np.ndarray:
    """The integer weights: ``rint(weight) * 2**res_bits``."""
    return np.rint(st.weight).astype(np.int64) << st.res_bits


def int_theta(st: SnnStage) -> int:
    return max(1, int(np.rint(st.theta * (1 << st.res_bits))))


def int_v0(st: SnnStage) -> int | np.ndarray:
    """The initial membrane in the rounded threshold's units: ``round(v0 * theta_int / theta)``."""
    v = np.rint(np.asarray(st.v0, dtype=np.float64) * (int_theta(st) / st.theta)).astype(np.int64)
    return int(v) if v.ndim == 0 else v


def int_params(
    st: SnnStage,
    schedule: Schedule,
) -> tuple[np.ndarray | None, int, int | np.ndarray]:
    """(integer bias, threshold, initial membrane) of hidden stage ``st``.

    Each is rounded to the nearest integer (the initial membrane in the rounded threshold's units),
    except when the schedule has ONE bias-on step (T = 1, no pre-simulation; sleep steps have no bias):
    then the single decision ``v0 + b + I >= theta`` is all that counts, and since the current ``I`` is
    an integer, ``I >= ceil(theta - v0 - b)`` is the float decision exactly. The rounding then makes
    ``theta_int - v0_int - b_int`` equal that ceiling, so the integer network fires exactly where the
    float simulation (integer weights, unrounded rest) does. The correction goes into the bias when the
    initial membrane is one per layer, else into the per-neuron initial membrane.
    """
    th = int_theta(st)
    res = float(1 << st.res_bits)
    b = None if st.bias is None else np.rint(st.bias * res).astype(np.int64)
    v0 = int_v0(st)
    if schedule.presim + schedule.wake != 1:
        return b, th, v0
    v0f = np.asarray(st.v0, dtype=np.float64)
    per_neuron = v0f.ndim > 0
    cshape = (-1, 1, 1) if st.conv and per_neuron else (-1,)
    bf = 0.0 if st.bias is None else st.bias.reshape(cshape)
    need = (
        np.ceil(st.theta - v0f - bf).astype(np.int64) << st.res_bits
    )  # currents are multiples of 2**k
    if st.bias is not None and not per_neuron:
        return (th - int(v0) - need).astype(np.int64), th, v0
    bi = 0 if b is None else b.reshape(cshape)
    v0 = th - bi - need
    return b, th, (int(v0) if np.ndim(v0) == 0 else np.asarray(v0, dtype=np.int64))


def integerize(spec: SnnSpec) -> Network:
    """Round every parameter of ``spec`` and build the integer :class:`Network` (no widths yet)."""
    nodes: list = [
        Input(
            spec.input.name, tuple(spec.input.shape), bits=spec.input.bits, signed=spec.input.signed
        )
    ]
    wmax = (1 << (spec.weight_bits - 1)) - 1
    for st in spec.stages:
        for t in st.transforms:
            nodes.append(AvgPool2D(t.name, t.pool) if isinstance(t, FPool) else Flatten(t.name))
        w = int_weight(st)
        if np.abs(w >> st.res_bits).max() > wmax:
            raise IRError(
                f"layer {st.name!r}: integer weights reach {int(np.abs(w >> st.res_bits).max())}, "
                f"beyond the {spec.weight_bits}-bit limit {wmax}"
            )
        if st.is_output:
            b = None if st.bias is None else np.rint(st.bias).astype(np.int64)
        else:
            b, th, v0 = int_params(st, spec.schedule)
        if st.conv:
            nodes.append(Conv2D(st.name, w, b, stride=st.stride, padding=st.padding))
        else:
            nodes.append(Dense(st.name, w, b))
        if st.is_output:
            nodes.append(Output(spec.output_name))
        else:
            nodes.append(Neuron(st.act.name, st.kind, th, v0))
    return Network(tuple(nodes), spec.schedule, dict(spec.meta))


def rounded(spec: SnnSpec) -> SnnSpec:
    """``spec`` with every parameter replaced by its rounded value (the integer network as floats)."""
    stages = []
    for st in spec.stages:
        ch = {
            "weight": int_weight(st).astype(np.float64),
            "bias": None if st.bias is None else np.rint(st.bias),
            "res_bits": 0,
            "scale": st.scale / (1 << st.res_bits),
        }
        if not st.is_output:
            b, th, v0 = int_params(st, spec.schedule)
            ch.update(
                bias=None if b is None else b.astype(np.float64),
                theta=float(th),
                v0=np.asarray(v0, dtype=np.float64),
            )
        stages.append(replace(st, **ch))
    return replace(spec, stages=tuple(stages))


def integer_weight_ann(spec: SnnSpec, fnet: FloatNet) -> FloatNet:
    """The quantized ANN whose weights, biases and thresholds are the integer network's, scaled back."""
    by_name = {st.name: st for st in spec.stages}
    acts = {st.act.name: st for st in spec.stages if not st.is_output}
    layers = []
    unit = float(
        fnet.input.scale
    )  # value of one input unit of the next synapse, before window sums
    for layer in fnet.layers:
        if isinstance(layer, (FConv, FDense)) and layer.name in by_name:
            st = by_name[layer.name]
            unit_in = unit / st.pool_factor()
            w = np.rint(st.weight) * st.scale / unit_in
            b = None if st.bias is None else np.rint(st.bias) * st.scale
            layer = replace(layer, weight=w, bias=b)
        elif isinstance(layer, FAct) and layer.name in acts:
            st = acts[layer.name]
            layer = replace(layer, lam=int_theta(st) * st.scale / (1 << st.res_bits))
            unit = layer.lam
        layers.append(layer)
    return FloatNet(tuple(layers), meta=dict(fnet.meta))


def weights_rounded(spec: SnnSpec) -> SnnSpec:
    """``spec`` with only the weights rounded: the float reference of integerization (biases,
    thresholds and initial membranes stay exact), so it differs from the integer network only in them."""
    return replace(spec, stages=tuple(replace(st, weight=np.rint(st.weight)) for st in spec.stages))
