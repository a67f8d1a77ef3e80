"""CASC: consistent IF neurons and wake-sleep conversion.

Consistent IF (v0 = shift * theta, i.e. 0 for the floor quantizer CASC trains with; positive spikes only
while N < wake steps so far; negative spikes when v < 0 and N > 0), then ``sleep`` extra steps with zero
input and biases off in which residual membranes settle (one per hidden layer by default, so a late
correction can reach the output). The sleep steps count in the latency.
"""

from __future__ import annotations

from fpgasnn.calibrate.method import Method
from fpgasnn.ir.nodes import NeuronKind

METHOD = Method(
    "casc",
    NeuronKind.CONSISTENT_IF,
    "CASC: consistent IF + wake-sleep (one sleep step per hidden layer)",
    sleep=lambda T, hidden: hidden,
)
