"""Reference CNNs built from conv + BatchNorm + ClipFloorShift + AveragePooling2D + dense.

``reference_cnn(spec, input_shape)``: for each entry of ``spec.conv``: Conv2D(ch, 3x3, same, no bias) ->
BatchNormalization -> ClipFloorShift -> AveragePooling2D(2); then Flatten -> Dense(hidden, no bias) -> BN ->
ClipFloorShift -> Dense(classes) producing logits. The input is ``pixels / 255`` (float, NHWC), which the
front end records as ``FInput.scale = 1/255``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np

INPUT_SCALE = 1.0 / 255.0


@dataclass(frozen=True)
class ModelSpec:
    """Architecture and training settings of a reference CNN; ``key()`` names its cache file."""

    dataset: str = "mnist"
    levels: int = 4
    shift: float = 0.5
    threshold: float = 2.0
    noise_p: float = 0.0
    conv: tuple[int, ...] = (16, 32)
    hidden: int = 128
    classes: int = 10
    epochs: int = 3
    batch_size: int = 128
    learning_rate: float = 2e-3
    train_images: int | None = None  # None: the whole training split
    seed: int = 0
    sparsity: float = 0.0  # activation-sparsity loss weight per 1,000 spikes (ClipFloorShift)

    def key(self) -> str:
        fields = asdict(self)
        if not self.sparsity:  # (added later: models trained without it keep their cache names)
            del fields["sparsity"]
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]


DEFAULT_SPECS: dict[str, ModelSpec] = {
    "mnist": ModelSpec(dataset="mnist", epochs=3),
    "fashion_mnist": ModelSpec(dataset="fashion_mnist", conv=(16, 32), hidden=128, epochs=5),
    "digits": ModelSpec(dataset="digits", conv=(16,), hidden=64, epochs=30, batch_size=64),
}


def reference_cnn(spec: ModelSpec, input_shape: tuple[int, int, int]):
    """The untrained tf_keras Sequential model for ``spec`` and an NHWC ``input_shape``."""
    from fpgasnn.keras.layers import ClipFloorShift
    from fpgasnn.keras.tf_env import tf_keras

    tfk = tf_keras()
    L = tfk.layers

    def act(name: str):
        return ClipFloorShift(
            levels=spec.levels,
            threshold=spec.threshold,
            shift=spec.shift,
            noise_p=spec.noise_p,
            sparsity=spec.sparsity,
            name=name,
        )

    layers = [L.InputLayer(input_shape=input_shape, name="image")]
    for i, ch in enumerate(spec.conv, start=1):
        layers += [
            L.Conv2D(ch, 3, padding="same", use_bias=False, name=f"conv{i}"),
            L.BatchNormalization(name=f"bn{i}"),
            act(f"act{i}"),
            L.AveragePooling2D(2, name=f"pool{i}"),
        ]
    n = len(spec.conv) + 1
    layers += [
        L.Flatten(name="flatten"),
        L.Dense(spec.hidden, use_bias=False, name=f"fc{n}"),
        L.BatchNormalization(name=f"bn{n}"),
        act(f"act{n}"),
        L.Dense(spec.classes, name="logits"),
    ]
    return tfk.Sequential(layers, name=f"{spec.dataset}_cnn")


def to_input(images: np.ndarray, scale: float = INPUT_SCALE) -> np.ndarray:
    """uint8 images (N, C, H, W) -> the Keras input, float32 (N, H, W, C) = pixels * scale."""
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[:, None]
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1), dtype=np.float32) * np.float32(scale)
