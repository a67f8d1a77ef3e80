"""Fast-SNN: signed IF neurons and layer-wise fine-tuning of layers 2..L-1.

For each hidden stage after the first: the ANN copy of the layer is fed the SNN's input spike counts
(golden run on the calibration images); its forward value is replaced by the SNN's output spike count N,
the loss is the MSE between N and the ANN level for T; the gradient goes through the straight-through
clip ``0 < v0 + W X + T b < T * theta``. A step (its largest weight change a fixed number of integer
units) is kept only if the golden layer MSE on the calibration images goes down.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from fpgasnn.calibrate.common import CalibData, run
from fpgasnn.calibrate.method import Method, calib_data, calibration_pass
from fpgasnn.convert.floatnet import FPool, avgpool_float
from fpgasnn.convert.passes import ConvertContext
from fpgasnn.convert.snnspec import SnnSpec, SnnStage
from fpgasnn.ir.nodes import NeuronKind

STEP_SIZES = (1.0, 0.5)


def _inputs(st: SnnStage, x: np.ndarray) -> np.ndarray:
    for t in st.transforms:
        x = (
            avgpool_float(x, t.pool) * (t.pool * t.pool)
            if isinstance(t, FPool)
            else x.reshape(len(x), -1)
        )
    return x


def layer_gradient(
    st: SnnStage,
    x: np.ndarray,
    n_out: np.ndarray,
    target: np.ndarray,
    T: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(dW, db) of ``mean((N - level)^2) / 2`` for input counts ``x`` (after the stage's transforms)."""
    from fpgasnn.convert.floatsim import stage_current

    bare = stage_current(replace(st, transforms=()), x, False)
    z = (
        np.asarray(st.v0, dtype=np.float64)
        + bare
        + (0.0 if st.bias is None else T * _bshape(st, bare))
    )
    g = (n_out - target) * ((z > 0) & (z < T * st.theta))
    n = len(x)
    if st.conv:
        pt, pb, pl, pr = st.padding
        xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr))) if any(st.padding) else x
        kh, kw = st.weight.shape[2:]
        win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
        win = win[:, :, :: st.stride, :: st.stride]
        dw = np.einsum("nohw,nchwij->ocij", g, win, optimize=True) / n
        db = T * g.sum(axis=(0, 2, 3)) / n
    else:
        dw = g.T @ x / n
        db = T * g.sum(axis=0) / n
    return dw, db


def _bshape(st: SnnStage, like: np.ndarray) -> np.ndarray:
    return st.bias.reshape((1, -1) + (1,) * (like.ndim - 2))


def layer_mse(spec: SnnSpec, data: CalibData, name: str) -> float:
    res = run(spec, data.images)
    return float(np.mean((res.counts[name] - data.levels[name]) ** 2))


def finetune(spec: SnnSpec, ctx: ConvertContext) -> SnnSpec:
    data = calib_data(spec, ctx)
    T = spec.schedule.wake
    wmax = (1 << (spec.weight_bits - 1)) - 1
    hidden = spec.stages[:-1]
    for i in range(1, len(hidden)):
        st = spec.stages[i]
        name, prev = st.act.name, spec.stages[i - 1].act.name
        res = run(spec, data.images)
        best = float(np.mean((res.counts[name] - data.levels[name]) ** 2))
        x = _inputs(st, res.counts[prev].astype(np.float64))
        dw, db = layer_gradient(
            st, x, res.counts[name].astype(np.float64), data.levels[name].astype(np.float64), T
        )
        peak = float(np.abs(dw).max())
        if peak == 0.0:
            continue
        chosen = None
        for step in STEP_SIZES:
            lr = step / peak
            w = np.clip(st.weight - lr * dw, -wmax, wmax)
            b = None if st.bias is None else st.bias - lr * db
            cand = spec.with_stage(i, weight=w, bias=b)
            loss = layer_mse(cand, data, name)
            if loss < best:
                best, chosen = loss, cand
        if chosen is not None:
            spec = chosen
    return spec


METHOD = Method(
    "fastsnn",
    NeuronKind.SIGNED_IF,
    "Fast-SNN: signed IF + layer-wise fine-tuning (layers 2..L-1, keep if it helps)",
    passes=(
        calibration_pass(
            "fastsnn_finetune",
            finetune,
            "layer-wise rate-matching fine-tuning of weights and biases",
        ),
    ),
)
