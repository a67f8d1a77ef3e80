"""The integer SNN intermediate representation."""

from fpgasnn.ir import examples
from fpgasnn.ir.network import Network, Stage, infer_shapes, networks_equal, verify
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
    same_padding,
)
from fpgasnn.ir.ranges import analyze, annotate_widths
from fpgasnn.ir.serialize import load, save

__all__ = [
    "AvgPool2D",
    "Conv2D",
    "Dense",
    "Flatten",
    "Input",
    "Network",
    "Neuron",
    "NeuronKind",
    "Output",
    "Schedule",
    "Stage",
    "analyze",
    "annotate_widths",
    "examples",
    "infer_shapes",
    "load",
    "networks_equal",
    "same_padding",
    "save",
    "verify",
]
