"""Shared pieces of the calibration methods: calibration data, golden runs, per-layer errors.

Calibration images come from the TRAINING split (never the test set); :func:`pick_calibration` draws
them deterministically for a seed. Targets are the ANN levels for T steps (see
:mod:`fpgasnn.convert.analysis`) of the integer-weight ANN of the uncalibrated conversion.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from fpgasnn.convert.analysis import ann_levels
from fpgasnn.convert.floatnet import FloatNet
from fpgasnn.convert.snnspec import SnnSpec, integer_weight_ann, integerize
from fpgasnn.errors import DataError
from fpgasnn.golden.simulate import SimResult, simulate


def pick_calibration(images: np.ndarray, labels: np.ndarray | None, n: int, seed: int = 0,
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """``n`` images (and labels) drawn without replacement with ``seed``, in index order."""
    if len(images) == 0:
        raise DataError("calibration needs at least one image, got none")
    n = min(int(n), len(images))
    idx = np.sort(np.random.default_rng(seed).choice(len(images), size=n, replace=False))
    return images[idx], (None if labels is None else np.asarray(labels)[idx])


@dataclass
class CalibData:
    """Calibration images, their labels (optional) and the ANN's target levels per neuron layer."""

    images: np.ndarray
    labels: np.ndarray | None
    levels: dict[str, np.ndarray]
    ann_classes: np.ndarray
    ann_logits: np.ndarray | None = None
    """The integer-weight quantized ANN's logits (targets of the two-stage KL loss)."""

    @classmethod
    def build(cls, spec: SnnSpec, fnet: FloatNet, images: np.ndarray,
              labels: np.ndarray | None = None) -> CalibData:
        ann = integer_weight_ann(spec, fnet)
        levels = ann_levels(ann, images, spec.schedule.wake)
        logits = np.concatenate([ann.forward(images[i:i + 500]) for i in range(0, len(images), 500)])
        return cls(np.asarray(images), labels, levels, np.argmax(logits, axis=1), logits)

    def score(self, res: SimResult) -> float:
        """Share of calibration images classified right (labels) or as the ANN does (no labels)."""
        ref = self.labels if self.labels is not None else self.ann_classes
        return float(np.mean(res.classes == ref))


def run(spec: SnnSpec, images: np.ndarray) -> SimResult:
    """The golden model on the rounded ``spec``."""
    return simulate(integerize(spec), images)


def hidden_index(spec: SnnSpec, name: str) -> int:
    for i, st in enumerate(spec.stages):
        if not st.is_output and st.act.name == name:
            return i
    raise KeyError(name)


def mean_error(res: SimResult, data: CalibData, name: str) -> np.ndarray:
    """Per neuron, mean over the calibration images of (ANN level - SNN spike count)."""
    return np.mean(data.levels[name] - res.counts[name], axis=0)


def calibrate_v0_layerwise(spec: SnnSpec, data: CalibData, *, rounds: int = 1) -> SnnSpec:
    """Per-neuron ``v0 += theta * E[level - N]`` (= ``T * (E[ANN rate] - E[SNN rate])`` in threshold
    units), one hidden layer at a time from the first, each on the golden run of the network with the
    layers before it already calibrated."""
    for _ in range(rounds):
        for i, st in enumerate(spec.stages[:-1]):
            err = mean_error(run(spec, data.images), data, st.act.name)
            v0 = np.broadcast_to(np.asarray(st.v0, dtype=np.float64), err.shape) + st.theta * err
            spec = spec.with_stage(i, v0=v0)
    return spec


def calibrate_bias_layerwise(spec: SnnSpec, data: CalibData) -> SnnSpec:
    """Per-channel ``b += theta * E[level - N] / T`` (mean over images and positions), layer by layer."""
    T = spec.schedule.wake
    for i, st in enumerate(spec.stages[:-1]):
        err = mean_error(run(spec, data.images), data, st.act.name)
        per_ch = err.reshape(err.shape[0], -1).mean(axis=1)
        bias = np.zeros(st.weight.shape[0]) if st.bias is None else st.bias
        spec = spec.with_stage(i, bias=bias + st.theta * per_ch / T)
    return spec


__all__ = [
    "CalibData",
    "calibrate_bias_layerwise",
    "calibrate_v0_layerwise",
    "hidden_index",
    "mean_error",
    "pick_calibration",
    "replace",
    "run",
]
