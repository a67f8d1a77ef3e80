"""Operation counts and the energy estimate per image.

Counts are exact for the given images (from the golden model's trace):
- ``sop``: synaptic operations (accumulates) of the event-driven layers -- every nonzero spike that
  reaches a Conv2D/Dense adds one weight into each output neuron whose receptive field holds it (a spike
  through a k x k AvgPool2D counts once per target, as the hardware adds it once).
- ``mac``: multiply-accumulates of the first layer, whose input is the multi-bit image; computed once per
  image (zero-padding taps are not counted).
- ``ann_mac``: the MACs of the same network run as an ANN of equal bit width (every tap of every layer,
  once).

Energy constants (45 nm CMOS, Horowitz, "Computing's energy problem", ISSCC 2014, as used by the SNN
conversion literature): 0.9 pJ per accumulate, 4.6 pJ per multiply-accumulate. Estimates only:
they leave out memory access and control, which dominate on an FPGA.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgasnn.golden import simulate
from fpgasnn.golden.ops import SynapseKernel, apply_transform, to_last
from fpgasnn.ir.network import Network, Stage
from fpgasnn.ir.nodes import Conv2D, Dense

PJ_PER_ACC = 0.9
PJ_PER_MAC = 4.6
ENERGY_SOURCE = "45 nm CMOS: 0.9 pJ/accumulate, 4.6 pJ/MAC (Horowitz, ISSCC 2014)"


@dataclass(frozen=True)
class OpCounts:
    sop: float
    """Mean synaptic accumulates per image (event-driven layers)."""
    mac: float
    """MACs per image of the first layer (computed once per image)."""
    ann_mac: float
    """MACs per image of the equal-bit-width ANN."""
    sop_per_layer: dict[str, float]

    @property
    def energy_nj(self) -> float:
        return (self.sop * PJ_PER_ACC + self.mac * PJ_PER_MAC) / 1000.0

    @property
    def ann_energy_nj(self) -> float:
        return self.ann_mac * PJ_PER_MAC / 1000.0


def _fanout_kernel(stage: Stage) -> SynapseKernel:
    """A kernel with the stage's geometry and all weights 1: it counts the taps each input reaches."""
    syn = stage.synapse
    ones = np.ones_like(syn.weight)
    if isinstance(syn, Conv2D):
        node = Conv2D(syn.name, ones, None, syn.stride, syn.padding)
    else:
        node = Dense(syn.name, ones, None)
    flat_chw = None
    shape = stage.in_shape
    for t in stage.transforms:
        if hasattr(t, "pool"):
            shape = (shape[0], shape[1] // t.pool, shape[2] // t.pool)
        elif len(shape) == 3:
            flat_chw = shape
    return SynapseKernel(node, in_bound=1 << 20, out_dtype=np.int64, flat_chw=flat_chw)


def _taps(stage: Stage, x_first: np.ndarray, per_element: bool = False) -> np.ndarray:
    """Per image: sum over outputs of the inputs in its receptive field, each weighted by its value
    after the transforms (spike counts through a pool), or counted once (``per_element``)."""
    k = _fanout_kernel(stage)
    x = to_last(x_first.astype(np.float64))
    for t in stage.transforms:
        x = apply_transform(t, x)
    if per_element:
        x = (x != 0).astype(np.float64)
    out = k(x, bias_on=False)
    return out.reshape(out.shape[0], -1).sum(axis=1)


def count_ops(net: Network, images: np.ndarray) -> OpCounts:
    """Exact operation counts per image, averaged over ``images``."""
    res = simulate(net, images, trace=True)
    stages = net.stages()
    n = len(images)
    ones_img = np.ones((1, *net.input.shape))
    mac = float(_taps(stages[0], ones_img)[0])
    ann_mac = mac
    sop_layers: dict[str, float] = {}
    prev = stages[0].activation.name
    for st in stages[1:]:
        ann_mac += float(_taps(st, np.ones((1, *st.in_shape)), per_element=True)[0])
        spikes = np.abs(res.trace.spikes[prev]).astype(np.float64)  # (steps, N, *shape)
        flat = spikes.reshape(-1, *spikes.shape[2:])
        taps = _taps(st, flat).reshape(spikes.shape[0], n).sum(axis=0)
        sop_layers[st.synapse.name] = float(taps.mean())
        prev = st.activation.name
    return OpCounts(
        sop=sum(sop_layers.values()), mac=mac, ann_mac=ann_mac, sop_per_layer=sop_layers
    )


__all__ = ["ENERGY_SOURCE", "PJ_PER_ACC", "PJ_PER_MAC", "OpCounts", "count_ops"]
