"""The hardware lowering: Network + HwConfig -> HwNetwork, the ONE place that decides lanes, taps,
widths, weight shifts, identifiers and what the back ends support.

Every condition that any back end cannot emit is checked here, for every layer, before a record is
returned; all problems come in one :class:`~fpgasnn.errors.BackendError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from fpgasnn.errors import BackendError, RangeError
from fpgasnn.hw.auto import auto_lanes, busiest_convolution, layer_events
from fpgasnn.hw.config import HwConfig, LanesPolicy
from fpgasnn.hw.names import unique_identifiers
from fpgasnn.hw.records import HwInput, HwNetwork, HwStage
from fpgasnn.ir.network import Network, Stage
from fpgasnn.ir.nodes import AvgPool2D, Conv2D, Neuron, Output
from fpgasnn.ir.ranges import annotate_widths, signed_bits, weight_shift

SCORE_BITS = 32
"""Width of a score beat on the output stream: the output accumulator must fit it."""
PARAM_BITS = 32
"""Thresholds and initial membranes are 32-bit constants in the Verilog."""


def _chw(shape: tuple[int, ...]) -> tuple[int, int, int]:
    return (shape[0], 1, 1) if len(shape) == 1 else (shape[0], shape[1], shape[2])


def _pool(st: Stage) -> int:
    k = 1
    for t in st.transforms:
        if isinstance(t, AvgPool2D):
            k *= t.pool
    return k


def counter_bits(net: Network) -> int:
    """Width of the step counter and of the running spike counts (holds 0..total steps, signed)."""
    return max(2, (net.schedule.total + 1).bit_length() + 1)


def _resolve_lanes(
    hw: HwNetwork, policy: LanesPolicy, images: np.ndarray | None, events: np.ndarray | None = None
) -> dict[str, int]:
    """Lanes per synapse layer (``events``: the layers' synaptic events, when already counted)."""
    chans = {s.name: s.out_c for s in hw.stages}
    if policy.is_fit:
        raise BackendError(
            f"lanes {policy.describe()}: the setting that fits a board is chosen against the board's "
            "resources (fpgasnn build --lanes fit --board NAME; fpgasnn.backends.rtl.fit.fit)"
        )
    if policy.is_auto:
        return auto_lanes(hw, images, policy.auto_budget, events=events)
    if policy.per_layer:
        asked = dict(policy.per_layer)
        unknown = [k for k in asked if k not in chans]
        if unknown:
            raise BackendError(
                f"lanes given for unknown layers {unknown}; the synapse layers are {list(chans)}"
            )
        return {k: min(asked.get(k, 1), c) for k, c in chans.items()}
    every = policy.every if policy.every is not None else 1
    return {k: min(every, c) for k, c in chans.items()}


def _taps_wanted(net: Network, cfg: HwConfig) -> dict[str, str | int]:
    """The taps asked for each synapse layer: "all", "auto" or 1 (checked)."""
    stages = net.stages()
    per = dict(cfg.taps_per_layer)
    names = [st.synapse.name for st in stages]
    unknown = [k for k in per if k not in names]
    if unknown:
        raise BackendError(
            f"taps given for unknown layers {unknown}; the synapse layers are {names}"
        )
    out: dict[str, str | int] = {}
    for st in stages:
        name = st.synapse.name
        want = per.get(name, cfg.taps)
        full = st.synapse.kernel[0] * st.synapse.kernel[1] if isinstance(st.synapse, Conv2D) else 1
        text = str(want).strip().lower()
        if text in ("all", str(full)):
            out[name] = "all"
        elif text == "1":
            out[name] = 1
        elif text == "auto":
            out[name] = "auto"
        else:
            raise BackendError(
                f"layer {name!r}: parallel taps must be 1, all ({full}) or auto, got {want!r}"
            )
    return out


def _resolve_taps(net: Network, cfg: HwConfig) -> dict[str, int]:
    """Parallel taps per synapse layer to start from ("auto" starts at 1): 1 or kh * kw."""
    full = {
        st.synapse.name: (
            st.synapse.kernel[0] * st.synapse.kernel[1] if isinstance(st.synapse, Conv2D) else 1
        )
        for st in net.stages()
    }
    return {k: full[k] if v == "all" else 1 for k, v in _taps_wanted(net, cfg).items()}


def _problems(net: Network) -> list[str]:
    """Every condition a back end cannot emit, one line per layer and problem."""
    out = []
    stages = net.stages()
    last = stages[-1]
    if len(last.out_shape) != 1:
        out.append(
            f"output layer {last.activation.name!r}: the last synapse {last.synapse.name!r} must "
            f"produce a flat (classes,) vector, got {last.out_shape}"
        )
    for st in stages:
        act = st.activation
        if isinstance(act, Output):
            if act.acc_bits is not None and act.acc_bits > SCORE_BITS:
                out.append(
                    f"output layer {act.name!r}: its accumulator needs {act.acc_bits} bits; scores "
                    f"leave the core as {SCORE_BITS}-bit beats"
                )
            continue
        if act.theta >= (1 << (PARAM_BITS - 1)):
            out.append(
                f"layer {act.name!r}: threshold {act.theta} needs more than {PARAM_BITS} bits "
                f"(the Verilog holds thresholds as {PARAM_BITS}-bit constants)"
            )
        lo, hi = act.v0_range()
        if lo < -(1 << (PARAM_BITS - 1)) or hi >= (1 << (PARAM_BITS - 1)):
            out.append(
                f"layer {act.name!r}: initial membranes [{lo}, {hi}] need more than "
                f"{PARAM_BITS} bits"
            )
    return out


def lower(
    net: Network, config: HwConfig | None = None, images: np.ndarray | None = None
) -> HwNetwork:
    """The hardware network of ``net`` under ``config`` (``images``: where automatic lanes count the
    synaptic events; default 16 seeded random images). Raises BackendError listing every problem."""
    cfg = config or HwConfig()
    try:
        annotated = annotate_widths(net)
        problems = _problems(annotated)
    except RangeError as e:
        annotated, problems = None, [*_problems(net), str(e)]
    if problems or annotated is None:
        raise BackendError("cannot build hardware for this network:\n  " + "\n  ".join(problems))
    net = annotated
    taps = _resolve_taps(net, cfg)
    ids = unique_identifiers([n.name for n in net.nodes])
    inp = net.input
    c, h, w = _chw(inp.shape)
    hw_in = HwInput(inp.name, ids[inp.name], c, h, w, inp.bits, inp.signed)
    one = tuple(_stage(st, ids, 1, taps[st.synapse.name]) for st in net.stages())
    hw = HwNetwork(
        net,
        hw_in,
        one,
        net.schedule.presim,
        net.schedule.wake,
        net.schedule.sleep,
        counter_bits(net),
        cfg.lanes.describe(),
        cfg.write_register,
    )
    auto_taps = [name for name, v in _taps_wanted(net, cfg).items() if v == "auto"]
    events = layer_events(hw, images) if (cfg.lanes.is_auto or auto_taps) else None
    while True:
        lanes = _resolve_lanes(hw, cfg.lanes, images, events)
        hw = replace(hw, stages=tuple(replace(s, lanes=lanes[s.name]) for s in hw.stages))
        # taps "auto": every tap in parallel on the convolution that is the slowest layer, again and
        # again, while the slowest layer is such a convolution (lanes re-spent after each change)
        name = busiest_convolution(hw, events) if auto_taps else None
        if name is None or name not in auto_taps:
            return hw
        hw = replace(
            hw,
            stages=tuple(
                replace(s, taps=s.kernel_taps) if s.name == name else s for s in hw.stages
            ),
        )


def _stage(st: Stage, ids: Mapping[str, str], lanes: int, taps: int) -> HwStage:
    syn, act = st.synapse, st.activation
    in_c, in_h, in_w = _chw(st.in_shape)
    pool = _pool(st)
    out_c, out_h, out_w = _chw(st.out_shape)
    if isinstance(syn, Conv2D):
        kh, kw = syn.kernel
        stride, pad_top, pad_left, op = syn.stride, syn.padding[0], syn.padding[2], "conv"
    else:
        kh = kw = stride = 1
        pad_top = pad_left = 0
        op = "dense"
    shift = weight_shift(syn.weight)
    wgt = syn.weight >> shift
    bias = syn.bias if syn.bias is not None else np.zeros(out_c, dtype=np.int64)
    if isinstance(act, Neuron):
        kind, theta, mb = act.kind, act.theta, int(act.membrane_bits)
        v0 = np.asarray(act.v0, dtype=np.int64)
        spike_bits = 2 if act.kind.signed else 1
    else:
        kind, theta, mb, v0, spike_bits = None, 0, int(act.acc_bits), np.asarray(0), 0
    return HwStage(
        index=st.index,
        name=syn.name,
        ident=ids[syn.name],
        act_name=act.name,
        act_ident=ids[act.name],
        op=op,
        is_first=st.is_first,
        is_output=isinstance(act, Output),
        in_c=in_c,
        in_h=in_h,
        in_w=in_w,
        pool=pool,
        pooled_h=in_h // pool,
        pooled_w=in_w // pool,
        kh=kh,
        kw=kw,
        stride=stride,
        pad_top=pad_top,
        pad_left=pad_left,
        out_c=out_c,
        out_h=out_h,
        out_w=out_w,
        lanes=lanes,
        taps=taps,
        weight=wgt,
        w_shift=shift,
        bias=bias,
        has_bias=syn.bias is not None,
        weight_bits=signed_bits(int(wgt.min(initial=0)), int(wgt.max(initial=0))),
        bias_bits=signed_bits(int(bias.min(initial=0)), int(bias.max(initial=0))),
        current_bits=int(syn.current_bits or 2),
        membrane_bits=mb,
        kind=kind,
        theta=theta,
        v0=v0,
        spike_bits=spike_bits,
    )


__all__ = ["PARAM_BITS", "SCORE_BITS", "counter_bits", "lower"]
