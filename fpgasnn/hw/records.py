"""Typed records of a lowered network: what the HLS and Verilog back ends format, never re-derive.

Geometry names are unambiguous: ``in_*`` is the producer tensor (the image, or the previous layer's
spikes) as (C, H, W) (a flat vector of F values is (F, 1, 1)); ``pool`` is the folded AvgPool2D window
(1: none) and ``pooled_*`` the size after it; ``out_*`` is this layer's output (C, H, W). Weights are
stored shifted down by ``w_shift`` (the datapath shifts products back), so ``weight << w_shift`` is the
IR's weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgasnn.ir.network import Network
from fpgasnn.ir.nodes import NeuronKind

KIND_CODE = {NeuronKind.IF: 0, NeuronKind.SIGNED_IF: 1, NeuronKind.CONSISTENT_IF: 2}
"""Neuron kind -> the code both back ends use (Verilog parameter KIND, C++ enum order)."""


@dataclass(frozen=True, eq=False)
class HwStage:
    index: int
    name: str
    """The synapse layer's name (as in the IR and the user's model)."""
    ident: str
    """Its identifier in generated code and file names (:mod:`fpgasnn.hw.names`)."""
    act_name: str
    act_ident: str
    op: str
    """"conv" or "dense"."""
    is_first: bool
    is_output: bool
    in_c: int
    in_h: int
    in_w: int
    pool: int
    pooled_h: int
    pooled_w: int
    kh: int
    kw: int
    stride: int
    pad_top: int
    pad_left: int
    out_c: int
    out_h: int
    out_w: int
    lanes: int
    """Output channels updated per cycle (1 <= lanes <= out_c), the same in both back ends."""
    taps: int
    """Kernel taps of one input event updated per cycle: 1, or kh * kw (membranes banked by output
    position); always 1 for dense layers."""
    weight: np.ndarray
    """Stored weights (the IR's weight >> w_shift), in the IR's layout."""
    w_shift: int
    bias: np.ndarray
    """(out_c,) integer biases (zeros when the layer has none)."""
    has_bias: bool
    weight_bits: int
    bias_bits: int
    current_bits: int
    membrane_bits: int
    """Membrane width (hidden layers) or accumulator width (output layer), from range analysis."""
    kind: NeuronKind | None
    """None for the output layer."""
    theta: int
    v0: np.ndarray
    """Initial membranes: shape () for one value, else the layer's output shape (C, H, W) / (C,)."""
    spike_bits: int
    """1 for IF (spikes 0/1), 2 for signed kinds (spikes -1/0/+1); 0 for the output layer."""

    @property
    def chunks(self) -> int:
        """Groups of ``lanes`` output channels (the last one padded)."""
        return -(-self.out_c // self.lanes)

    @property
    def out_positions(self) -> int:
        return self.out_h * self.out_w

    @property
    def in_positions(self) -> int:
        return self.in_h * self.in_w

    @property
    def kernel_taps(self) -> int:
        return self.kh * self.kw if self.op == "conv" else 1

    @property
    def bank_grid(self) -> tuple[int, int]:
        """(rows, columns) of the membrane banks: with every tap in parallel, output position (oy, ox)
        lives in bank (oy mod rows, ox mod columns), so the taps of one input event (which reach at most
        ceil(k / stride) consecutive rows and columns) all land in different banks."""
        if self.taps == 1:
            return 1, 1
        return -(-self.kh // self.stride), -(-self.kw // self.stride)

    @property
    def banks(self) -> int:
        r, c = self.bank_grid
        return r * c

    def position_bank(self, oy, ox):
        """The membrane bank of output position (oy, ox) (integers or arrays): (oy mod rows) * columns
        + ox mod columns (:attr:`bank_grid`)."""
        rows, cols = self.bank_grid
        return (oy % rows) * cols + ox % cols

    @property
    def update_words(self) -> int:
        """Words the update pass handles per cycle: 2 (positions 2p and 2p + 1 of one chunk at once)
        in a hidden layer whose membranes are banked when every such pair lies in two different banks
        (so each bank still sees one read and one write per cycle), else 1."""
        if self.is_output or self.banks == 1 or self.out_positions < 4:
            return 1
        p = np.arange(0, self.out_positions - 1, 2)
        q = p + 1
        first = self.position_bank(p // self.out_w, p % self.out_w)
        second = self.position_bank(q // self.out_w, q % self.out_w)
        return 2 if bool(np.all(first != second)) else 1

    @property
    def update_cycles(self) -> int:
        """Cycles of one update pass beyond its pipeline: position groups x chunks."""
        return -(-self.out_positions // self.update_words) * self.chunks

    @property
    def tap_groups(self) -> int:
        """Cycles per (input event, chunk): the kernel taps are visited in this many groups."""
        return 1 if self.taps > 1 else self.kernel_taps

    @property
    def per_neuron_v0(self) -> bool:
        return self.v0.ndim > 0

    @property
    def kind_code(self) -> int:
        return 0 if self.kind is None else KIND_CODE[self.kind]


@dataclass(frozen=True)
class HwInput:
    name: str
    ident: str
    c: int
    h: int
    w: int
    bits: int
    signed: bool

    @property
    def size(self) -> int:
        return self.c * self.h * self.w

    @property
    def beat_bits(self) -> int:
        """Width of one AXI-Stream input beat (bytes)."""
        return 8 * -(-self.bits // 8)


@dataclass(frozen=True, eq=False)
class HwNetwork:
    net: Network
    """The network with widths annotated (range analysis)."""
    input: HwInput
    stages: tuple[HwStage, ...]
    presim: int
    wake: int
    sleep: int
    counter_bits: int
    """Width of the step counter and of every neuron's running spike count N."""
    lanes_policy: str
    """How the lanes were chosen (``describe()`` of the policy)."""
    write_register: bool = False
    """A scatter's sum is registered before it is written (:attr:`HwConfig.write_register`)."""

    @property
    def total_steps(self) -> int:
        return self.presim + self.wake + self.sleep

    @property
    def lanes(self) -> dict[str, int]:
        return {s.name: s.lanes for s in self.stages}

    @property
    def taps(self) -> dict[str, int]:
        return {s.name: s.taps for s in self.stages}

    @property
    def output(self) -> HwStage:
        return self.stages[-1]

    @property
    def num_classes(self) -> int:
        return self.stages[-1].out_c


__all__ = ["KIND_CODE", "HwInput", "HwNetwork", "HwStage"]
