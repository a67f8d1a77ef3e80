"""Shared pieces of the calibration methods: calibration data, golden runs, per-layer errors.

Calibration images come from the TRAINING split (never the test set); :func:`pick_calibration` draws
them deterministically for a seed. Targets are the ANN levels for T steps (see
:mod:`fpgasnn.convert.analysis`) of the integer-weight ANN of the uncalibrated conversion.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from fpgasnn.convert.analysis import ann_levels
from fpgasnn.convert.floatnet import FAct, FConv, FDense, FloatNet
from fpgasnn.convert.snnspec import SnnSpec, integer_weight_ann, integerize, split_stages
from fpgasnn.errors import DataError
from fpgasnn.golden.simulate import SimResult, simulate


def pick_calibration(
    images: np.ndarray,
    labels: np.ndarray | None,
    n: int,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray | None]:
    """``n`` images (and labels) drawn without replacement with ``seed``, in index order."""
    if len(images) == 0:
        raise DataError("calibration needs at least one image, got none")
    n = min(int(n), len(images))
    idx = np.sort(np.random.default_rng(seed).choice(len(images), size=n, replace=False))
    return images[idx], (None if labels is None else np.asarray(labels)[idx])


def levels_and_logits(
    ann: FloatNet,
    images: np.ndarray,
    T: int,
    chunk: int = 500,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """:func:`fpgasnn.convert.analysis.ann_levels` ``(ann, images, T)`` and the ANN's logits, from one
    forward pass (the float convolutions are most of a calibration's time)."""
    pairs = [(syn, act) for _, syn, act in split_stages(ann) if act is not None]
    parts: dict[str, list[np.ndarray]] = {act.name: [] for _, act in pairs}
    logits = []
    for i in range(0, max(len(images), 1), chunk):
        outs = ann.forward(images[i : i + chunk], keep=True)
        for syn, act in pairs:
            lv = np.clip(np.floor(outs[syn.name] * T / act.lam + act.shift), 0, T)
            parts[act.name].append(lv.astype(np.int16))
        logits.append(outs[ann.layers[-1].name])
    return {k: np.concatenate(v) for k, v in parts.items()}, np.concatenate(logits)


@dataclass
class CalibData:
    """Calibration images, their labels (optional) and the ANN's target levels per neuron layer."""

    images: np.ndarray
    labels: np.ndarray | None
    levels: dict[str, np.ndarray]
    ann_classes: np.ndarray
    ann_logits: np.ndarray | None = None
    """The integer-weight quantized ANN's logits (targets of the two-stage KL loss)."""
    evals: dict = field(default_factory=dict, repr=False)
    """id(spec) -> (spec, golden scores) (:func:`fpgasnn.calibrate.bptt.golden_eval`'s memory)."""

    @classmethod
    def build(
        cls, spec: SnnSpec, fnet: FloatNet, images: np.ndarray, labels: np.ndarray | None = None
    ) -> CalibData:
        levels, logits = levels_and_logits(
            integer_weight_ann(spec, fnet), images, spec.schedule.wake
        )
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


def rounded_weight_ann(spec: SnnSpec, fnet: FloatNet) -> FloatNet:
    """The quantized ANN with ``spec``'s rounded weights and its unrounded biases and thresholds, scaled
    back (the ANN the float simulation of ``weights_rounded(spec)`` approximates)."""
    by_name = {st.name: st for st in spec.stages}
    acts = {st.act.name: st for st in spec.stages if not st.is_output}
    layers = []
    unit = float(fnet.input.scale)
    for layer in fnet.layers:
        if isinstance(layer, (FConv, FDense)) and layer.name in by_name:
            st = by_name[layer.name]
            layer = replace(
                layer,
                weight=np.rint(st.weight) * st.scale / (unit / st.pool_factor()),
                bias=None if st.bias is None else st.bias * st.scale,
            )
        elif isinstance(layer, FAct) and layer.name in acts:
            layer = replace(layer, lam=acts[layer.name].theta * acts[layer.name].scale)
            unit = layer.lam
        layers.append(layer)
    return FloatNet(tuple(layers), meta=dict(fnet.meta))


def exact(
    spec: SnnSpec, fnet: FloatNet, images: np.ndarray, *, near: dict[str, np.ndarray] | None = None
) -> bool:
    """True when the golden run of ``spec`` gives every hidden neuron the spike count of the quantized
    ANN with ``spec``'s own (rounded) weights and (unrounded) thresholds, on every image: the SNN then
    computes that ANN exactly there, and no calibration can bring it closer. (A network trained with
    L = T levels and run at T = 1 is such a case: one step of one layer is one quantizer decision.)
    ``near``: levels of an ANN that differs only in roundings (CalibData.levels); where more than 1 %
    of a layer's counts differ from them, the answer is no without the ANN's forward pass."""
    counts = run(spec, images).counts
    if near is not None and any(np.mean(counts[k] != lv) > 0.01 for k, lv in near.items()):
        return False  # far from ``near`` (levels of nearly the same ANN): not worth the ANN's pass
    levels = ann_levels(rounded_weight_ann(spec, fnet), images, spec.schedule.wake)
    return all(np.array_equal(counts[name], lv) for name, lv in levels.items())


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
    "exact",
    "hidden_index",
    "mean_error",
    "pick_calibration",
    "replace",
    "run",
]
