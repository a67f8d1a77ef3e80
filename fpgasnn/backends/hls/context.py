"""The typed context the HLS templates are rendered from: one record per stage, sizes, widths, ROMs.

Everything the C++ needs is decided here (and nowhere in the templates): identifiers, the kernel each
stage uses, the integer widths from range analysis, the lanes of each layer, and the weight layouts.

Tensors are (C, H, W) in the IR; the kernels keep them as [H*W][C] ("pixel, channel"), so a flat
vector (F,) is C=F, H=W=1. Chains of AvgPool2D before a synapse collapse into one window of the
product size (floor(floor(y/a)/b) = floor(y/(ab)), and the kept rows agree).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from fpgasnn.backends.hls.names import unique_identifiers
from fpgasnn.boards import Board
from fpgasnn.errors import BackendError
from fpgasnn.ir.network import Network, Stage
from fpgasnn.ir.nodes import AvgPool2D, Conv2D, Neuron, NeuronKind, Output
from fpgasnn.ir.ranges import annotate_widths, signed_bits, weight_shift

TOP_NAME = "snn_top"
KIND_ENUM = {
    NeuronKind.IF: "NEURON_IF",
    NeuronKind.SIGNED_IF: "NEURON_SIGNED_IF",
    NeuronKind.CONSISTENT_IF: "NEURON_CONSISTENT_IF",
}
_VALUES_PER_LINE = 24


@dataclass(frozen=True)
class RomCtx:
    """A constant integer array (a ROM in hardware) in the weights header."""

    name: str
    ctype: str
    size: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class InputCtx:
    name: str
    cfg: str
    c: int
    h: int
    w: int
    size: int
    bits: int
    signed: bool
    beat_bits: int

    @property
    def pixel_t(self) -> str:
        return f"ap_int<{self.bits}>" if self.signed else f"ap_uint<{self.bits}>"


@dataclass(frozen=True)
class SynapseCtx:
    name: str
    ident: str
    cfg: str
    kernel: str  # conv_gather | conv_scatter | dense_scatter
    in_c: int
    in_h: int
    in_w: int
    pool: int
    ph: int
    pw: int
    kh: int
    kw: int
    stride: int
    pad_top: int
    pad_left: int
    out_c: int
    out_h: int
    out_w: int
    lanes: int
    cur_bits: int
    x_bits: int  # first stage: width of the pooled image values
    has_bias: bool
    weight: RomCtx
    bias: RomCtx
    in_spike_t: str  # hidden stages: spike type of the previous layer
    w_shift: int = 0  # the ROM holds weight >> w_shift; the kernels scale the products back

    @property
    def out_pixels(self) -> int:
        return self.out_h * self.out_w


@dataclass(frozen=True)
class NeuronCtx:
    name: str
    ident: str
    cfg: str
    layer: int  # index among the neuron layers (trace order)
    kind: str
    theta: int
    theta_bits: int
    mem_bits: int
    calc_bits: int  # membrane arithmetic: holds every membrane value and theta
    cnt_bits: int
    spike_t: str
    pixels: int
    channels: int
    lanes: int
    per_neuron_v0: bool
    counts: bool  # the running count N is read: signed kinds, or the presim shift
    v0: RomCtx
    shape: tuple[int, ...]


@dataclass(frozen=True)
class OutputCtx:
    name: str
    ident: str
    cfg: str
    classes: int
    lanes: int
    acc_bits: int
    beat_bits: int


@dataclass(frozen=True)
class StageCtx:
    index: int
    synapse: SynapseCtx
    neuron: NeuronCtx | None
    output: OutputCtx | None
    prev: NeuronCtx | None

    @property
    def is_first(self) -> bool:
        return self.index == 0


@dataclass(frozen=True)
class HlsContext:
    top: str
    network_name: str
    board: Board
    input: InputCtx
    stages: tuple[StageCtx, ...]
    presim: int
    wake: int
    sleep: int

    @property
    def total_steps(self) -> int:
        return self.presim + self.wake + self.sleep

    @property
    def neurons(self) -> list[NeuronCtx]:
        return [s.neuron for s in self.stages if s.neuron is not None]

    @property
    def output(self) -> OutputCtx:
        out = self.stages[-1].output
        assert out is not None
        return out

    @property
    def lanes(self) -> dict[str, int]:
        return {s.synapse.name: s.synapse.lanes for s in self.stages}


def _ctype(values: np.ndarray) -> str:
    lo, hi = (int(values.min()), int(values.max())) if values.size else (0, 0)
    for bits in (8, 16, 32, 64):
        if -(1 << (bits - 1)) <= lo and hi < (1 << (bits - 1)):
            return f"int{bits}_t"
    raise BackendError(f"constant values [{lo}, {hi}] do not fit in 64 bits")


def _literal(v: int, ctype: str) -> str:
    if ctype == "int64_t":
        if v == -(1 << 63):
            return "(-9223372036854775807LL - 1)"
        return f"{v}LL"
    return str(v)


def rom(name: str, values: np.ndarray) -> RomCtx:
    flat = np.asarray(values, dtype=np.int64).reshape(-1)
    if flat.size == 0:
        flat = np.zeros(1, dtype=np.int64)
    ctype = _ctype(flat)
    items = [_literal(int(v), ctype) for v in flat]
    lines = tuple(", ".join(items[i:i + _VALUES_PER_LINE]) for i in range(0, len(items), _VALUES_PER_LINE))
    return RomCtx(name, ctype, int(flat.size), lines)


def _chw(shape: tuple[int, ...]) -> tuple[int, int, int]:
    return (shape[0], 1, 1) if len(shape) == 1 else (shape[0], shape[1], shape[2])


def _pool(st: Stage) -> int:
    k = 1
    for t in st.transforms:
        if isinstance(t, AvgPool2D):
            k *= t.pool
    return k


def resolve_lanes(net: Network, lanes: int | Mapping[str, int] | None) -> dict[str, int]:
    """Lanes per synapse layer. An int applies to every layer; a mapping names synapse layers (others
    get 1). Either way a layer's lanes are capped at its output channels (the RTL back end instead
    rounds to a power of two and pads). Unknown names or values below 1 raise."""
    stages = net.stages()
    chans = {st.synapse.name: st.synapse.out_channels for st in stages}
    if lanes is None:
        return {k: 1 for k in chans}
    if isinstance(lanes, int):
        if lanes < 1:
            raise BackendError(f"lanes must be >= 1, got {lanes}")
        return {k: min(lanes, c) for k, c in chans.items()}
    unknown = sorted(set(lanes) - set(chans))
    if unknown:
        raise BackendError(f"lanes given for unknown layers {unknown}; the synapse layers are {list(chans)}")
    out = {}
    for k, c in chans.items():
        n = int(lanes.get(k, 1))
        if n < 1:
            raise BackendError(f"layer {k!r}: lanes must be >= 1, got {n}")
        out[k] = min(n, c)
    return out


def check_supported(net: Network) -> None:
    """Raise BackendError listing every construct the HLS back end cannot emit."""
    problems = []
    last = net.stages()[-1]
    if len(last.out_shape) != 1:
        problems.append(f"output layer {last.activation.name!r}: the last synapse "
                        f"{last.synapse.name!r} must produce a flat (classes,) vector, got {last.out_shape}")
    if problems:
        raise BackendError("the HLS back end cannot emit this network:\n  " + "\n  ".join(problems))


def build_context(net: Network, board: Board, lanes: int | Mapping[str, int] | None = None) -> HlsContext:
    """The template context for ``net`` on ``board`` (range analysis is redone here)."""
    check_supported(net)
    net = annotate_widths(net)
    lane_map = resolve_lanes(net, lanes)
    ids = unique_identifiers([n.name for n in net.nodes])
    sched = net.schedule
    max_count = max(sched.presim, sched.wake + sched.sleep, 1)
    inp = net.input
    c, h, w = _chw(inp.shape)
    in_ctx = InputCtx(inp.name, f"{ids[inp.name]}_config_t", c, h, w, c * h * w, inp.bits, inp.signed,
                      8 * -(-inp.bits // 8))
    stages: list[StageCtx] = []
    prev: NeuronCtx | None = None
    n_layers = 0
    for st in net.stages():
        syn = st.synapse
        sid = ids[syn.name]
        in_c, in_h, in_w = _chw(st.in_shape)
        k = _pool(st)
        ph, pw = in_h // k, in_w // k
        out_c, out_h, out_w = _chw(st.out_shape)
        lanes_n = lane_map[syn.name]
        w_shift = weight_shift(syn.weight)
        wgt = syn.weight >> w_shift
        if isinstance(syn, Conv2D):
            kh, kw = syn.kernel
            stride, pad_top, pad_left = syn.stride, syn.padding[0], syn.padding[2]
        else:
            kh, kw, stride, pad_top, pad_left = ph, pw, 1, 0, 0
        if st.is_first:
            kernel = "conv_gather"
            wrom = wgt.reshape(out_c, -1).T.reshape(-1)  # (C, KH, KW, O); Dense: (F, O), F in C, H, W order
            lo, hi = inp.value_range
            x_bits = signed_bits(min(lo, 0) * k * k, max(hi, 0) * k * k)
        elif isinstance(syn, Conv2D):
            kernel = "conv_scatter"
            wrom = wgt.reshape(out_c, -1).T.reshape(-1)  # (C, KH, KW, O)
            x_bits = 0
        else:
            kernel = "dense_scatter"
            wrom = wgt.T.reshape(-1)  # (F, O)
            x_bits = 0
        bias = syn.bias if syn.bias is not None else np.zeros(out_c, dtype=np.int64)
        syn_ctx = SynapseCtx(
            name=syn.name, ident=sid, cfg=f"{sid}_config_t", kernel=kernel,
            in_c=in_c, in_h=in_h, in_w=in_w, pool=k, ph=ph, pw=pw, kh=kh, kw=kw, stride=stride,
            pad_top=pad_top, pad_left=pad_left, out_c=out_c, out_h=out_h, out_w=out_w, lanes=lanes_n,
            cur_bits=int(syn.current_bits), x_bits=x_bits, has_bias=syn.bias is not None,
            weight=rom(f"{sid}_w", wrom), bias=rom(f"{sid}_b", bias),
            in_spike_t=prev.spike_t if prev is not None else "", w_shift=w_shift,
        )
        act = st.activation
        aid = ids[act.name]
        neuron_ctx = output_ctx = None
        if isinstance(act, Neuron):
            if act.per_neuron_v0:
                v0 = np.asarray(act.v0)
                v0 = v0.transpose(1, 2, 0) if v0.ndim == 3 else v0  # internal [H*W][C]
            else:
                v0 = np.array([act.v0])
            neuron_ctx = NeuronCtx(
                name=act.name, ident=aid, cfg=f"{aid}_config_t", layer=n_layers,
                kind=KIND_ENUM[act.kind], theta=act.theta, theta_bits=signed_bits(0, act.theta),
                mem_bits=int(act.membrane_bits),
                calc_bits=max(int(act.membrane_bits), signed_bits(0, act.theta)),
                cnt_bits=max(1, max_count.bit_length()),
                spike_t="ap_int<2>" if act.kind.signed else "ap_uint<1>",
                pixels=out_h * out_w, channels=out_c, lanes=lanes_n,
                per_neuron_v0=act.per_neuron_v0, counts=act.kind.signed or sched.presim > 0, v0=rom(f"{aid}_v0", v0), shape=tuple(st.out_shape),
            )
            n_layers += 1
        elif isinstance(act, Output):
            acc_bits = int(act.acc_bits)
            output_ctx = OutputCtx(
                name=act.name, ident=aid, cfg=f"{aid}_config_t", classes=out_c, lanes=lanes_n,
                acc_bits=acc_bits, beat_bits=32 if acc_bits <= 32 else 64,
            )
        stages.append(StageCtx(st.index, syn_ctx, neuron_ctx, output_ctx, prev))
        prev = neuron_ctx
    name = str(net.meta.get("name") or net.meta.get("source") or "network")
    return HlsContext(TOP_NAME, name, board, in_ctx, tuple(stages), sched.presim, sched.wake, sched.sleep)


__all__ = [
    "TOP_NAME",
    "HlsContext",
    "InputCtx",
    "NeuronCtx",
    "OutputCtx",
    "RomCtx",
    "StageCtx",
    "SynapseCtx",
    "build_context",
    "check_supported",
    "resolve_lanes",
    "rom",
]
