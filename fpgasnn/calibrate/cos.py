"""COS: calibrating offset spikes by shifting the initial membrane.

``cos`` (as the authors run it): ``Schedule.presim = rho`` pre-steps per image; the golden model then moves
each neuron's v0 by +theta where the residual membrane says a spike is owed (v >= theta) and by -theta
where one spike too many was emitted (v < 0 with N > 0), and runs the T wake steps from t = 0 on the same
input. Latency is rho + T (rho = T by default).

``cos_static``: the same shift decided once per neuron on calibration data (no extra steps): the
indicator ``[v >= theta] - [v < 0 and N > 0]`` after T steps, averaged over the calibration images, moves
v0 by one threshold where its mean is at least 1/2 in magnitude; layer by layer from the first.

``signed_cal_cos``: the static shift on top of ``signed_cal`` (signed IF + per-neuron v0 calibration).
"""

from __future__ import annotations

import numpy as np

from fpgasnn.calibrate import snncal
from fpgasnn.calibrate.method import Method, calib_data, calibration_pass
from fpgasnn.convert.passes import ConvertContext
from fpgasnn.convert.snnspec import SnnSpec, int_theta, integerize
from fpgasnn.golden.simulate import simulate
from fpgasnn.ir.nodes import NeuronKind


def offset_indicator(spec: SnnSpec, images: np.ndarray, layer: int, chunk: int = 64) -> np.ndarray:
    """Per image and neuron of hidden stage ``layer``: +1 (owed spike), -1 (spike too many) or 0, read
    from the residual membrane after the wake steps of ``spec``'s schedule."""
    st = spec.stages[layer]
    net = integerize(spec)
    theta = int_theta(st)
    out = []
    for i in range(0, len(images), chunk):
        r = simulate(net, images[i : i + chunk], trace=True)
        k = r.trace.phases.index("wake") + spec.schedule.wake - 1
        v = r.trace.membranes[st.act.name][k]
        n = r.counts[st.act.name]
        out.append((v >= theta).astype(np.int64) - ((v < 0) & (n > 0)))
    return np.concatenate(out)


def static_shift(spec: SnnSpec, ctx: ConvertContext) -> SnnSpec:
    data = calib_data(spec, ctx)
    for i, st in enumerate(spec.stages[:-1]):
        ind = offset_indicator(spec, data.images, i).mean(axis=0)
        step = np.where(ind >= 0.5, 1.0, np.where(ind <= -0.5, -1.0, 0.0))
        v0 = np.broadcast_to(np.asarray(st.v0, dtype=np.float64), step.shape) + st.theta * step
        spec = spec.with_stage(i, v0=v0)
    return spec


METHOD = Method(
    "cos",
    NeuronKind.IF,
    "COS: rho = T offset pre-steps per image, then T steps",
    presim=lambda T: T,
)
STATIC = Method(
    "cos_static",
    NeuronKind.IF,
    "COS static: per-neuron v0 shift of one threshold decided on calibration data",
    passes=(
        calibration_pass(
            "cos_static_shift", static_shift, "v0 +-= theta where the mean offset indicator >= 1/2"
        ),
    ),
)
SIGNED_CAL_STATIC = Method(
    "signed_cal_cos",
    NeuronKind.SIGNED_IF,
    "signed IF + per-neuron v0 calibration + COS static shift",
    passes=snncal.SIGNED.passes + STATIC.passes,
)
