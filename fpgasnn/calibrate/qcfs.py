"""Plain QCFS conversion (the baseline): IF neurons, v0 = theta/2 for the shift-0.5 quantizer, no calibration."""

from __future__ import annotations

from fpgasnn.calibrate.method import Method
from fpgasnn.ir.nodes import NeuronKind

METHOD = Method("qcfs", NeuronKind.IF, "plain QCFS: IF neurons, v0 = shift * theta, T steps")
