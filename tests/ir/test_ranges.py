"""Range analysis: the per-step interval rule is sound, and widths come out where expected."""

from __future__ import annotations

import numpy as np
import pytest

from fpgasnn.ir import Dense, Input, Network, Neuron, NeuronKind, Output, Schedule, annotate_widths
from fpgasnn.ir.ranges import _step, analyze, signed_bits


@pytest.mark.parametrize("kind", list(NeuronKind))
def test_interval_step_is_sound_by_enumeration(kind):
    for theta in (1, 2, 3, 5):
        for a in range(-8, 12):
            for b in range(a, 12):
                lo, hi = _step(
                    kind, np.array([a], dtype=object), np.array([b], dtype=object), theta
                )
                vals = []
                for v in range(a, b + 1):
                    for count in (0, 1):
                        for capped in (False, True):
                            s = int(
                                v >= theta and not (kind is NeuronKind.CONSISTENT_IF and capped)
                            )
                            if kind.signed and v < 0 and count > 0:
                                s = -1
                            vals.append(v - s * theta)
                assert lo[0] <= min(vals) and hi[0] >= max(vals), (theta, a, b)
                assert lo[0] in vals and hi[0] in vals or kind is not NeuronKind.IF, (theta, a, b)


def test_signed_bits():
    assert [
        signed_bits(0, 1),
        signed_bits(-2, 1),
        signed_bits(-3, 1),
        signed_bits(0, 127),
        signed_bits(0, 128),
        signed_bits(-128, 0),
    ] == [2, 2, 3, 8, 9, 8]


def test_hand_computed_widths():
    # current = 3*x + 1 with x in [0, 15]: [1, 46]; theta 10, v0 5, T = 2
    nodes = (
        Input("in", (1,), bits=4),
        Dense("fc", [[3]], [1]),
        Neuron("sn", NeuronKind.IF, 10, 5),
        Dense("o", [[-2]], [7]),
        Output("out"),
    )
    net = Network(nodes, Schedule(wake=2))
    rep = analyze(net)
    assert (rep.current["fc"].lo, rep.current["fc"].hi) == (1, 46)
    # step 1: pre [6, 51] -> post [0, 41]; step 2: pre [1, 87] -> post [0, 77]; v0 = 5
    assert (rep.membrane["sn"].lo, rep.membrane["sn"].hi) == (0, 87)
    # output: per step [-2*1 + 7, 0 + 7] = [5, 7]; it starts at 0, two steps: hull [0, 14]
    assert (rep.membrane["out"].lo, rep.membrane["out"].hi) == (0, 14)
    widths = annotate_widths(net)
    assert [
        widths.nodes[1].current_bits,
        widths.nodes[2].membrane_bits,
        widths.nodes[4].acc_bits,
    ] == [7, 8, 5]


def test_weight_shift_is_the_common_power_of_two():
    from fpgasnn.ir.ranges import weight_shift

    assert weight_shift(np.array([[8, -24], [0, 40]])) == 3
    assert weight_shift(np.array([3, -4])) == 0
    assert weight_shift(np.zeros((2, 2), dtype=np.int64)) == 0
    assert weight_shift(np.array([-(127 << 6), 1 << 6])) == 6
