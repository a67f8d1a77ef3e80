"""The typed context the HLS templates are rendered from: one record per stage, sizes, widths, ROMs.

Everything the C++ needs is decided here (and nowhere in the templates): identifiers, the kernel each
stage uses, the integer widths from range analysis, the lanes and parallel taps of each layer, the
current's banks (:attr:`HwStage.bank_grid`), the spike queues between the layer processes, and the
weight layouts -- all formatted from the lowering's records.

Tensors are (C, H, W) in the IR; the kernels keep them as [H*W][C] ("pixel, channel"), so a flat
vector (F,) is C=F, H=W=1. A layer's synaptic current is [bank rows][bank columns][words][C]: output
position (oy, ox) in bank (oy mod rows, ox mod columns), the Verilog membranes' banking. Chains of AvgPool2D before a synapse collapse into one window of the
product size (floor(floor(y/a)/b) = floor(y/(ab)), and the kept rows agree).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgasnn.boards import Board
from fpgasnn.errors import BackendError
from fpgasnn.hw import HwConfig, HwNetwork, lower
from fpgasnn.ir.network import Network
from fpgasnn.ir.nodes import NeuronKind
from fpgasnn.ir.ranges import signed_bits

TOP_NAME = "snn_top"
KIND_ENUM = {
    NeuronKind.IF: "NEURON_IF",
    NeuronKind.SIGNED_IF: "NEURON_SIGNED_IF",
    NeuronKind.CONSISTENT_IF: "NEURON_CONSISTENT_IF",
}
_VALUES_PER_LINE = 24


@dataclass(frozen=True)
class RomCtx:
    """A constant integer array (a ROM in hardware) in the weights header: 1-D (``dims`` = (size,)) or
    2-D (``dims`` = (rows, columns), e.g. one row per kernel tap so the taps can be partitioned apart).
    ``rows``: the values' text, one tuple of lines per leading index (a single one for a 1-D ROM)."""

    name: str
    ctype: str
    size: int
    rows: tuple[tuple[str, ...], ...]
    dims: tuple[int, ...]

    @property
    def lines(self) -> tuple[str, ...]:
        """The text of a 1-D ROM."""
        assert len(self.dims) == 1
        return self.rows[0]


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
    taps: int  # kernel taps of one input event updated together (1, or kh * kw: banked membranes)
    bank_rows: int  # HwStage.bank_grid: output position (oy, ox) lives in bank
    bank_cols: int  # (oy mod bank_rows, ox mod bank_cols), word (oy / bank_rows, ox / bank_cols)
    bank_h: int  # rows of output positions per bank: ceil(out_h / bank_rows)
    bank_w: int  # columns per bank: ceil(out_w / bank_cols)
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

    @property
    def banks(self) -> int:
        return self.bank_rows * self.bank_cols

    @property
    def weight_layout(self) -> str:
        """The weight ROM's layout, as the kernel reads it."""
        return "(F, O)" if self.kernel == "dense_scatter" else f"[{self.kh}*{self.kw}][C*O]"

    @property
    def bank_words(self) -> int:
        """Output positions per bank (the last row/column of banks may hold unused words)."""
        return self.bank_h * self.bank_w


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
    chunks: int  # groups of `lanes` channels (HwStage.chunks): one spike-queue entry each at most
    pixel_bits: int  # spike-queue entry: width of the position index
    chunk_bits: int  # and of the chunk index
    trace_offset: int  # where this layer's spikes start in one step of the trace

    @property
    def queue_depth(self) -> int:
        """Entries of one step's spike queue at most: every (position, chunk), and the end marker;
        a queue this deep lets the layer run one whole step ahead of the next (double buffering)."""
        return self.pixels * self.chunks + 1


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

    @property
    def trace_step(self) -> int:
        """Spikes of one time step in the trace: every neuron layer's, in layer order."""
        return sum(n.pixels * n.channels for n in self.neurons)


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


def _text_lines(values: np.ndarray, ctype: str) -> tuple[str, ...]:
    items = [_literal(int(v), ctype) for v in values]
    return tuple(
        ", ".join(items[i : i + _VALUES_PER_LINE]) for i in range(0, len(items), _VALUES_PER_LINE)
    )


def rom(name: str, values: np.ndarray, rows: int | None = None) -> RomCtx:
    """A ROM of ``values`` (flattened); ``rows``: declare it 2-D as [rows][size / rows]."""
    flat = np.asarray(values, dtype=np.int64).reshape(-1)
    if flat.size == 0:
        flat = np.zeros(1, dtype=np.int64)
    ctype = _ctype(flat)
    if rows is None:
        return RomCtx(name, ctype, int(flat.size), (_text_lines(flat, ctype),), (int(flat.size),))
    table = flat.reshape(rows, -1)
    return RomCtx(
        name,
        ctype,
        int(flat.size),
        tuple(_text_lines(r, ctype) for r in table),
        (rows, int(table.shape[1])),
    )


def _index_bits(count: int) -> int:
    """Width of an unsigned index 0 .. count - 1 (at least 1)."""
    return max(1, (count - 1).bit_length())


def _hw(net: HwNetwork | Network, lanes) -> HwNetwork:
    if isinstance(net, HwNetwork):
        return net
    return lower(net, HwConfig.make(lanes))


def build_context(net: HwNetwork | Network, board: Board, lanes=None) -> HlsContext:
    """The template context of a lowered network on ``board`` (a Network is lowered first with
    ``lanes``; every lane count, width and shift comes from the lowering's records)."""
    hw = _hw(net, lanes)
    inp = hw.input
    in_ctx = InputCtx(
        inp.name,
        f"{inp.ident}_config_t",
        inp.c,
        inp.h,
        inp.w,
        inp.size,
        inp.bits,
        inp.signed,
        inp.beat_bits,
    )
    lo, hi = hw.net.input.value_range
    stages: list[StageCtx] = []
    prev: NeuronCtx | None = None
    n_layers = trace_at = 0
    for st in hw.stages:
        sid = st.ident
        rows, cols = st.bank_grid
        if st.op == "conv":
            kh, kw = st.kh, st.kw
        else:  # a Dense layer is the gather kernel with the whole (pooled) input as its window
            kh, kw = st.pooled_h, st.pooled_w
        if st.is_first:
            kernel = "conv_gather"  # weights [KH*KW][C*O] (a Dense layer: [PH*PW][C*O])
            wrom = st.weight.reshape(st.out_c, st.in_c, kh, kw).transpose(2, 3, 1, 0)
            x_bits = signed_bits(min(lo, 0) * st.pool**2, max(hi, 0) * st.pool**2)
        elif st.op == "conv":
            kernel = "conv_scatter"
            wrom = st.weight.transpose(2, 3, 1, 0).reshape(
                -1
            )  # [KH*KW][C*O]: a bank of ROM per tap
            x_bits = 0
        else:
            kernel = "dense_scatter"
            wrom = st.weight.T.reshape(-1)  # (F, O)
            x_bits = 0
        syn_ctx = SynapseCtx(
            name=st.name,
            ident=sid,
            cfg=f"{sid}_config_t",
            kernel=kernel,
            in_c=st.in_c,
            in_h=st.in_h,
            in_w=st.in_w,
            pool=st.pool,
            ph=st.pooled_h,
            pw=st.pooled_w,
            kh=kh,
            kw=kw,
            stride=st.stride,
            pad_top=st.pad_top,
            pad_left=st.pad_left,
            out_c=st.out_c,
            out_h=st.out_h,
            out_w=st.out_w,
            lanes=st.lanes,
            taps=st.taps,
            cur_bits=st.current_bits,
            x_bits=x_bits,
            has_bias=st.has_bias,
            bank_rows=rows,
            bank_cols=cols,
            bank_h=-(-st.out_h // rows),
            bank_w=-(-st.out_w // cols),
            weight=rom(f"{sid}_w", wrom, None if kernel == "dense_scatter" else kh * kw),
            bias=rom(f"{sid}_b", st.bias),
            in_spike_t=prev.spike_t if prev is not None else "",
            w_shift=st.w_shift,
        )
        aid = st.act_ident
        neuron_ctx = output_ctx = None
        if not st.is_output:
            v0 = st.v0
            if st.per_neuron_v0:
                v0 = v0.transpose(1, 2, 0) if v0.ndim == 3 else v0  # internal [H*W][C]
            else:
                v0 = v0.reshape(1)
            neuron_ctx = NeuronCtx(
                name=st.act_name,
                ident=aid,
                cfg=f"{aid}_config_t",
                layer=n_layers,
                kind=KIND_ENUM[st.kind],
                theta=st.theta,
                theta_bits=signed_bits(0, st.theta),
                mem_bits=st.membrane_bits,
                calc_bits=max(st.membrane_bits, signed_bits(0, st.theta)),
                cnt_bits=hw.counter_bits,
                spike_t="ap_int<2>" if st.spike_bits == 2 else "ap_uint<1>",
                pixels=st.out_positions,
                channels=st.out_c,
                lanes=st.lanes,
                per_neuron_v0=st.per_neuron_v0,
                counts=st.spike_bits == 2 or hw.presim > 0,
                v0=rom(f"{aid}_v0", v0),
                shape=(st.out_c,) if st.op == "dense" else (st.out_c, st.out_h, st.out_w),
                chunks=st.chunks,
                pixel_bits=_index_bits(st.out_positions),
                chunk_bits=_index_bits(st.chunks),
                trace_offset=trace_at,
            )
            n_layers += 1
            trace_at += st.out_positions * st.out_c
        else:
            output_ctx = OutputCtx(
                name=st.act_name,
                ident=aid,
                cfg=f"{aid}_config_t",
                classes=st.out_c,
                lanes=st.lanes,
                acc_bits=st.membrane_bits,
                beat_bits=32,
            )
        stages.append(StageCtx(st.index, syn_ctx, neuron_ctx, output_ctx, prev))
        prev = neuron_ctx
    name = str(hw.net.meta.get("name") or hw.net.meta.get("source") or "network")
    return HlsContext(TOP_NAME, name, board, in_ctx, tuple(stages), hw.presim, hw.wake, hw.sleep)


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
    "rom",
]
