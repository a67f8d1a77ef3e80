"""Layer shapes beyond the random generator: a network with no hidden layer, a Dense first layer on an
image, pooled images, chained pools (collapsed into one window), odd strides and asymmetric padding."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import need
from fpgasnn.backends.hls.csim import run_csim
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


def _nets() -> dict[str, Network]:
    rng = np.random.default_rng(0)

    def w(*s):
        return rng.integers(-7, 8, size=s)

    return {
        "dense_only": Network(
            (Input("x", (12,), bits=4), Dense("d", w(5, 12), w(5)), Output("o")),
            Schedule(wake=2, presim=1, sleep=2),
        ),
        "first_dense_3d": Network(
            (
                Input("x", (2, 5, 5), bits=8, signed=True),
                Flatten("f"),
                Dense("d", w(6, 50), w(6)),
                Neuron("n", NeuronKind.SIGNED_IF, 60, 30),
                Dense("d2", w(4, 6), w(4)),
                Output("o"),
            ),
            Schedule(wake=3, presim=2, sleep=1),
        ),
        "pooled_image_chain": Network(
            (
                Input("x", (1, 13, 13), bits=4),
                AvgPool2D("p1", 2),
                AvgPool2D("p2", 1),
                Conv2D("c", w(3, 1, 3, 3), w(3), stride=2, padding=(1, 0, 1, 0)),
                Neuron("n", NeuronKind.CONSISTENT_IF, 40, rng.integers(-10, 40, (3, 3, 3))),
                AvgPool2D("p3", 2),
                AvgPool2D("p4", 1),
                Flatten("f"),
                Dense("d", w(4, 3)),
                Output("o"),
            ),
            Schedule(wake=4, sleep=2),
        ),
        "double_pool": Network(
            (
                Input("x", (1, 15, 15), bits=8),
                Conv2D("c", w(4, 1, 1, 1), w(4)),
                Neuron("n", NeuronKind.IF, 200, 100),
                AvgPool2D("p1", 2),
                AvgPool2D("p2", 3),
                Flatten("f"),
                Dense("d", w(5, 16), w(5)),
                Output("o"),
            ),
            Schedule(wake=3, presim=2),
        ),
        "stride3_asymmetric_pad": Network(
            (
                Input("x", (2, 11, 9), bits=8),
                Conv2D("c", w(3, 2, 3, 2), None, stride=3, padding=(2, 1, 0, 2)),
                Neuron("n", NeuronKind.SIGNED_IF, 150, 70),
                Conv2D("c2", w(4, 3, 2, 3), w(4), stride=2, padding=(1, 1, 1, 1)),
                Neuron("n2", NeuronKind.IF, 9, 4),
                Flatten("f"),
                Dense("d", w(3, 24)),
                Output("o"),
            ),
            Schedule(wake=3, presim=2, sleep=2),
        ),
    }


FAST = {"dense_only", "stride3_asymmetric_pad"}


@pytest.mark.tool
@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=[] if n in FAST else [pytest.mark.slow]) for n in _nets()]
)
def test_shapes_bit_exact(name, tmp_path):
    need("g++", "ap_types")
    res = run_csim(_nets()[name], n=60, trace=True, strict=True, workdir=tmp_path)
    assert res.first_mismatch is None, str(res.first_mismatch)
    assert res.ok and res.images == 60 and res.warnings == []
