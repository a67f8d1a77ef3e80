"""Thresholds of a front end's plain ReLUs from calibration images, shared by the Keras and ONNX front
ends (NumPy only): a plain ReLU has no clip in the source model, so its threshold (lambda) is a
percentile of its positive outputs, a fixed one or, with ``"auto"``, the one that keeps the network's
outputs closest to the float model's (:func:`calibrate_relus`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from fpgasnn.convert.floatnet import FAct, FloatNet
from fpgasnn.errors import FrontendError


def check_relu_options(relu_levels: int, relu_percentile: float | str) -> None:
    """FrontendError unless ``relu_levels`` is in 1..65536 and ``relu_percentile`` is "auto" or in
    (0, 100]."""
    if not 1 <= int(relu_levels) <= 1 << 16:
        raise FrontendError(f"relu_levels must be in 1..65536, got {relu_levels}")
    if relu_percentile != "auto" and not 0 < float(relu_percentile) <= 100:
        raise FrontendError(f"relu_percentile must be in (0, 100], got {relu_percentile}")


def as_model_input(images, shape: tuple[int, ...]) -> np.ndarray:
    """Integer inputs in the FloatNet layout (N, *shape): channel-first images (N, C, H, W), also taken
    as (N, H, W) for one channel; flat (N, F), also taken from images with F values each (flattened in
    the order given)."""
    x = np.asarray(images)
    if x.ndim == 3 and len(shape) == 3 and shape[0] == 1:
        x = x[:, None]
    if len(shape) == 1 and x.ndim > 2 and int(np.prod(x.shape[1:])) == shape[0]:
        x = x.reshape(len(x), -1)
    if x.ndim != len(shape) + 1 or tuple(x.shape[1:]) != tuple(shape):
        want = "(N, " + ", ".join(str(s) for s in shape) + ")"
        raise FrontendError(
            f"images of shape {tuple(np.shape(images))} do not fit the model input; "
            f"expected {want} ({'C, H, W' if len(shape) == 3 else 'F'})"
        )
    return x


AUTO_PERCENTILES = (90.0, 95.0, 97.0, 98.0, 99.0, 99.5, 99.7, 99.9, 99.95, 99.99, 100.0)
"""The candidates ``relu_percentile="auto"`` chooses from, per layer."""


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def output_divergence(ref_logits: np.ndarray, logits: np.ndarray) -> float:
    """Mean KL divergence KL(softmax(ref) || softmax(logits)) over the images: how far a network's
    outputs are from the float network's, a smooth measure (top-1 agreement on a few hundred
    images moves in steps of one image and ties often)."""
    lp, lq = _log_softmax(ref_logits), _log_softmax(logits)
    return float(np.mean(np.sum(np.exp(lp) * (lp - lq), axis=1)))


def calibrate_relus(
    fnet: FloatNet, pending: set[str], images: np.ndarray, percentile: float | str, batch: int = 256
) -> tuple[dict[str, float], dict]:
    """Thresholds of the plain ReLUs named in ``pending``, and the percentile chosen for each.

    A number P: each threshold is the P-th percentile of the layer's positive outputs on ``images``
    when every pending ReLU computes the unclipped float ReLU (the Keras model's forward).
    ``"auto"``: layer by layer in network order, the candidate of :data:`AUTO_PERCENTILES` whose
    threshold brings the network's outputs (earlier layers quantized with their chosen thresholds,
    later ones still float) closest to the float network's: the smallest mean KL divergence of the
    softmax outputs on ``images`` (:func:`output_divergence`); ties go to the higher percentile.
    """
    cands = AUTO_PERCENTILES if percentile == "auto" else (float(percentile),)
    pos: dict[str, list[np.ndarray]] = {n: [] for n in pending}
    ref = []
    for i in range(0, len(images), batch):
        outs = fnet.forward(images[i : i + batch], keep=True, plain=pending)
        ref.append(outs[fnet.layers[-1].name])
        for n in pending:
            v = outs[n]
            pos[n].append(v[v > 0])
    ref_logits = np.concatenate(ref)
    order = [a.name for a in fnet.activations() if a.name in pending]
    lams: dict[str, float] = {}
    chosen: dict[str, float] = {}
    layers = list(fnet.layers)
    for k, name in enumerate(order):
        vals = np.concatenate(pos[name])
        if vals.size == 0:
            raise FrontendError(
                f"layer {name!r}: no positive activation on the {len(images)} "
                "calibration images; cannot choose its threshold"
            )
        options = [(p, float(np.percentile(vals, p))) for p in cands]
        best = options[-1]
        if len(options) > 1:
            scores = []
            for p, lam in options:
                trial = [
                    FAct(a.name, a.levels, lam, a.shift)
                    if isinstance(a, FAct) and a.name == name
                    else a
                    for a in layers
                ]
                net = FloatNet(tuple(trial))
                later = set(order[k + 1 :])
                got = np.concatenate(
                    [
                        net.forward(images[i : i + batch], plain=later)
                        for i in range(0, len(images), batch)
                    ]
                )
                scores.append((-output_divergence(ref_logits, got), p, lam))
            _, p, lam = max(scores)
            best = (p, lam)
        chosen[name], lams[name] = best
        layers = [
            FAct(a.name, a.levels, best[1], a.shift)
            if isinstance(a, FAct) and a.name == name
            else a
            for a in layers
        ]
    return lams, chosen


def calibrate_pending(
    layers: Sequence,
    pending: set[str],
    calib_images: np.ndarray | Callable[[], np.ndarray] | None,
    shape: tuple[int, ...],
    percentile: float | str,
    what: str,
) -> tuple[tuple, dict[str, float], dict[str, float], int]:
    """The front end's layers with the plain ReLUs in ``pending`` given their thresholds.

    ``calib_images`` (or a function returning them, called only when ``pending`` is not empty) are
    the integer inputs in the FloatNet layout of ``shape`` (:func:`as_model_input`); ``what`` names
    the model in the error raised when they are missing. Returns (layers, thresholds, percentiles
    chosen, number of calibration images)."""
    if not pending:
        return tuple(layers), {}, {}, 0
    if calib_images is None:
        names = ", ".join(repr(n) for n in sorted(pending))
        raise FrontendError(
            f"{what}: plain ReLU layer(s) {names} take their threshold from calibration data; pass "
            "calib_images (e.g. a few hundred training images; CLI: --dataset or --data)"
        )
    images = calib_images() if callable(calib_images) else calib_images
    images = as_model_input(images, shape)
    lams, chosen = calibrate_relus(FloatNet(tuple(layers)), pending, images, percentile)
    out = tuple(
        replace(a, lam=lams[a.name]) if isinstance(a, FAct) and a.name in lams else a
        for a in layers
    )
    return out, lams, chosen, len(images)
