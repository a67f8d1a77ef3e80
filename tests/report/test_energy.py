from __future__ import annotations

import numpy as np

from fpgasnn.ir import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    Input,
    Network,
    Neuron,
    NeuronKind,
    Output,
    Schedule,
)
from fpgasnn.report.energy import count_ops


def test_hand_counted_ops():
    # 1x4x4 image -> conv 2ch 3x3 pad 1 -> IF -> pool2 -> flatten -> dense 3 -> out
    w = np.ones((2, 1, 3, 3), dtype=np.int64)
    nodes = (
        Input("in", (1, 4, 4)),
        Conv2D("c", w, None, padding=(1, 1, 1, 1)),
        Neuron("s", NeuronKind.IF, 1000, 0),
        AvgPool2D("p", 2),
        Flatten("f"),
        Dense("d", np.ones((3, 8), dtype=np.int64)),
        Output("o"),
    )
    net = Network(nodes, Schedule(wake=2))
    ops = count_ops(net, np.zeros((1, 1, 4, 4), dtype=np.int64))
    # first-layer MACs without padding taps: per channel sum over 4x4 outputs of in-image taps
    # corners 4 taps (x4), edges 6 taps (x8), centre 9 taps (x4) = 16 + 48 + 36 = 100; two channels
    assert ops.mac == 200
    assert ops.sop == 0  # theta 1000: no spikes, no accumulates
    assert ops.ann_mac == 200 + 3 * 8
    # now every neuron spikes every step (theta 1, v0 large enough)
    nodes = nodes[:2] + (Neuron("s", NeuronKind.IF, 1, 5),) + nodes[3:]
    net = Network(nodes, Schedule(wake=2))
    ops = count_ops(net, np.zeros((1, 1, 4, 4), dtype=np.int64))
    # 2x4x4 = 32 spikes per step; each reaches 3 dense outputs through the pool: 96 per step, 2 steps
    assert ops.sop == 192
    assert ops.sop_per_layer == {"d": 192.0}
    assert abs(ops.energy_nj - (192 * 0.9 + 200 * 4.6) / 1000) < 1e-12
