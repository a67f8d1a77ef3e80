"""Per-layer analysis of a converted SNN against its quantized ANN.

The ANN's level for T steps: for a neuron whose ANN pre-activation is ``z`` (threshold ``lam``, shift
``s``), ``level_T = clip(floor(z * T / lam + s), 0, T)`` -- the quantizer of the ANN with L replaced by T.
For T = L this is exactly the quantized ANN's level; for other T it is the spike count an ideal SNN
would emit in T wake steps. The pre-activations come from the integer-weight ANN (the FloatNet whose
weights and thresholds are the integer network's, scaled back), so weight rounding is not counted here.

The off-by-one share of a layer is the fraction of (image, neuron) pairs whose SNN spike count N
(golden ``counts``: positive minus negative spikes, wake and sleep steps) differs from ``level_T``;
nearly all of these differ by exactly one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgasnn.convert.floatnet import FAct, FloatNet
from fpgasnn.convert.snnspec import split_stages


def ann_levels(
    fnet: FloatNet, images: np.ndarray, T: int, chunk: int = 500
) -> dict[str, np.ndarray]:
    """Per activation name, the (N, *shape) integer level for T steps (see the module docstring);
    int16 (T <= 32767), computed ``chunk`` images at a time."""
    parts: dict[str, list[np.ndarray]] = {}
    pairs = [(syn, act) for _, syn, act in split_stages(fnet) if act is not None]
    for i in range(0, max(len(images), 1), chunk):
        outs = fnet.forward(images[i : i + chunk], keep=True)
        for syn, act in pairs:
            z = outs[syn.name]
            lv = np.clip(np.floor(z * T / act.lam + act.shift), 0, T).astype(np.int16)
            parts.setdefault(act.name, []).append(lv)
    return {k: np.concatenate(v) for k, v in parts.items()}


@dataclass
class LayerStats:
    name: str
    neurons: int
    spike_rate: float
    """Nonzero spikes per neuron per step, all steps of the schedule counted."""
    offbyone_pct: float
    """Share (%) of (image, neuron) pairs whose spike count differs from the ANN level for T."""
    mean_abs_err: float
    """Mean |N - level_T| over (image, neuron) pairs."""


def layer_stats(
    counts: dict[str, np.ndarray],
    events: dict[str, np.ndarray],
    levels: dict[str, np.ndarray],
    total_steps: int,
) -> list[LayerStats]:
    out = []
    for name, c in counts.items():
        lv = levels[name]
        per_img = int(np.prod(c.shape[1:]))
        diff = c - lv
        out.append(
            LayerStats(
                name=name,
                neurons=per_img,
                spike_rate=float(np.mean(events[name])) / (per_img * total_steps),
                offbyone_pct=100.0 * float(np.mean(diff != 0)),
                mean_abs_err=float(np.mean(np.abs(diff))),
            )
        )
    return out


def top1(classes: np.ndarray, labels: np.ndarray) -> float:
    return round(100.0 * float(np.mean(np.asarray(classes) == np.asarray(labels))), 4)


def ann_top1(
    fnet: FloatNet,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    quantized: bool = True,
    batch_size: int = 1000,
) -> float:
    cls = np.concatenate(
        [
            np.argmax(fnet.forward(images[i : i + batch_size], quantized=quantized), axis=1)
            for i in range(0, len(images), batch_size)
        ]
    )
    return top1(cls, labels)


__all__ = ["FAct", "LayerStats", "ann_levels", "ann_top1", "layer_stats", "top1"]
