"""The verifier and node constructors reject malformed graphs with precise, named errors."""

from __future__ import annotations

import numpy as np
import pytest

from fpgasnn.errors import IRError
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
    examples,
)

W = np.ones((2, 1, 3, 3), dtype=np.int64)


def net(*nodes, sched=None):
    return Network(tuple(nodes), sched or Schedule(wake=2))


def test_shapes_of_reference_net():
    n = examples.reference_mnist()
    assert n.shapes() == [
        (1, 28, 28),
        (16, 28, 28),
        (16, 28, 28),
        (16, 14, 14),
        (32, 14, 14),
        (32, 14, 14),
        (32, 7, 7),
        (1568,),
        (64,),
        (64,),
        (10,),
        (10,),
    ]
    st = n.stages()
    assert [s.synapse.name for s in st] == ["conv1", "conv2", "fc1", "fc2"]
    assert [t.name for t in st[2].transforms] == ["pool2", "flatten"]
    assert st[2].in_shape == (32, 14, 14) and st[2].syn_in_shape == (1568,)


def test_strided_padded_conv_shape():
    n = net(
        Input("in", (1, 7, 7)),
        Conv2D("c", W, stride=2, padding=(1, 1, 1, 1)),
        Neuron("s", NeuronKind.IF, 3),
        Flatten("f"),
        Dense("d", np.ones((3, 32))),
        Output("o"),
    )
    assert n.shapes()[1] == (2, 4, 4)


@pytest.mark.parametrize(
    "nodes, message",
    [
        (
            (Conv2D("c", W), Neuron("s", "if", 3), Output("o")),
            "a network must start with an Input layer",
        ),
        (
            (Input("in", (1, 5, 5)), Conv2D("c", W), Neuron("s", "if", 3)),
            "the last layer must be an Output accumulator, got neuron 's'",
        ),
        (
            (Input("in", (1, 5, 5)), Neuron("s", "if", 3), Output("o")),
            "layer 's' (neuron) must follow a Conv2D or Dense layer, it follows input 'in'",
        ),
        (
            (Input("in", (1, 5, 5)), Conv2D("c", W), AvgPool2D("p"), Output("o")),
            (
                "layer 'p' (avgpool2d) follows conv2d 'c' directly; a Conv2D/Dense must be followed by a Neuron or "
                "the Output"
            ),
        ),
        (
            (Input("in", (1, 5, 5)), Dense("d", np.ones((2, 25))), Output("o")),
            "layer 'd' (dense): expects a flat (F,) input, got shape (1, 5, 5); add a Flatten before it",
        ),
        (
            (
                Input("in", (3, 5, 5)),
                Conv2D("c", W),
                Neuron("s", "if", 3),
                Flatten("f"),
                Dense("d", np.ones((2, 10))),
                Output("o"),
            ),
            "layer 'c' (conv2d): weight expects 1 input channels, the input has 3",
        ),
        (
            (
                Input("in", (1, 5, 5)),
                Conv2D("c", W),
                Neuron("s", "if", 3),
                Flatten("f"),
                Dense("d", np.ones((2, 10))),
                Output("o"),
            ),
            "layer 'd' (dense): weight expects 10 inputs, the input has 18",
        ),
        (
            (Input("in", (1, 5, 5)), Conv2D("c", W), Neuron("c", "if", 3), Output("o")),
            "layer names must be unique; repeated: ['c']",
        ),
        (
            (
                Input("in", (1, 2, 2)),
                Conv2D("c", W),
                Neuron("s", "if", 3),
                Flatten("f"),
                Dense("d", np.ones((2, 2))),
                Output("o"),
            ),
            "layer 'c' (conv2d): kernel 3x3 does not fit the padded input (1, 2, 2)",
        ),
        (
            (
                Input("in", (1, 5, 5)),
                Conv2D("c", W),
                Neuron("s", "if", 3, np.zeros((2, 3, 2))),
                Flatten("f"),
                Dense("d", np.ones((2, 18))),
                Output("o"),
            ),
            "layer 's': per-neuron initial membrane must have the layer's shape (2, 3, 3), got (2, 3, 2)",
        ),
    ],
)
def test_verifier_messages(nodes, message):
    with pytest.raises(IRError) as e:
        net(*nodes)
    assert str(e.value) == message


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: Neuron("s", "lif", 3),
            ("layer 's': neuron kind must be one of if, signed_if, consistent_if; got 'lif'"),
        ),
        (
            lambda: Neuron("s", NeuronKind.IF, 0),
            "layer 's': threshold must be a positive integer, got 0",
        ),
        (
            lambda: Neuron("s", NeuronKind.IF, 2.5),
            "layer 's': threshold must be a positive integer, got 2.5",
        ),
        (
            lambda: Conv2D("c", np.ones((2, 3))),
            "layer 'c': Conv2D weight must be (O, C, KH, KW), got shape (2, 3)",
        ),
        (
            lambda: Dense("d", np.full((2, 2), 0.5)),
            "layer 'd': weights must be integers, got dtype float64",
        ),
        (
            lambda: Dense("d", np.ones((2, 2)), np.ones(3)),
            "layer 'd': bias must have shape (2,), got (3,)",
        ),
        (
            lambda: Input("in", (1, 2)),
            ("layer 'in': input shape must be (C, H, W) or (F,) with positive sizes, got (1, 2)"),
        ),
        (lambda: Schedule(wake=0), "schedule: wake steps (T) must be >= 1, got 0"),
        (lambda: Conv2D("c", W, stride=0), "layer 'c': stride must be >= 1, got 0"),
    ],
)
def test_node_errors(make, message):
    with pytest.raises(IRError) as e:
        make()
    assert str(e.value) == message


def test_weights_are_read_only_copies():
    w = np.ones((2, 1), dtype=np.int64)
    d = Dense("d", w)
    w[0, 0] = 5
    assert d.weight[0, 0] == 1
    with pytest.raises(ValueError):
        d.weight[0, 0] = 3
