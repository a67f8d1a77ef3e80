"""SNN-calibration baselines (light: per-channel bias; advanced: per-neuron initial membrane).

Both move, layer by layer from the first, the mean SNN spike count of the calibration images onto the
ANN's level for T: light adds ``theta * E[level - N] / T`` to each channel's bias (the bias is added in
every wake step); advanced adds ``theta * E[level - N]`` to each neuron's initial membrane.
"""

from __future__ import annotations

from fpgasnn.calibrate.common import calibrate_bias_layerwise, calibrate_v0_layerwise
from fpgasnn.calibrate.method import Method, calib_data, calibration_pass
from fpgasnn.ir.nodes import NeuronKind

LIGHT = Method(
    "snncal_light",
    NeuronKind.IF,
    "SNN-calibration light: per-channel bias",
    passes=(
        calibration_pass(
            "bias_calibration",
            lambda spec, ctx: calibrate_bias_layerwise(spec, calib_data(spec, ctx)),
            "per-channel bias += theta * E[level - N] / T",
        ),
    ),
)
ADVANCED = Method(
    "snncal_adv",
    NeuronKind.IF,
    "SNN-calibration advanced: per-neuron v0",
    passes=(
        calibration_pass(
            "v0_calibration",
            lambda spec, ctx: calibrate_v0_layerwise(spec, calib_data(spec, ctx)),
            "per-neuron v0 += theta * E[level - N]",
        ),
    ),
)
SIGNED = Method(
    "signed_cal",
    NeuronKind.SIGNED_IF,
    "signed IF + per-neuron v0 calibration",
    passes=ADVANCED.passes,
)
