"""An hls4ml-compatible QKeras CNN with the reference MNIST architecture, trained and cached.

conv16 3x3 same -> act -> avgpool2 -> conv32 3x3 same -> act -> avgpool2 -> flatten -> dense64 -> act
-> dense10. Weights and biases ``quantized_bits(weight_bits, 0, alpha=1)`` (power-of-two scale, so hls4ml
and the Verilog ANN compute them exactly); activations ``quantized_relu(act_bits, act_integer)``, which
QKeras rounds to nearest and hls4ml maps to ``ufixed<act_bits, act_integer, AP_RND_CONV, AP_SAT>``.
The input is ``pixels / 256`` (exact in ``ufixed<8,0>``).

Used when the project's own reference model cannot be read by hls4ml (its custom activation layer).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from fpgasnn.baselines.tf_setup import tf_keras

INPUT_SCALE = 1.0 / 256.0


@dataclass(frozen=True)
class QNetSpec:
    weight_bits: int = 8
    act_bits: int = 3
    act_integer: int = 1
    conv: tuple[int, ...] = (16, 32)
    hidden: int = 64
    classes: int = 10
    epochs: int = 2
    train_images: int = 60000
    seed: int = 0

    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


def build(spec: QNetSpec, input_shape: tuple[int, int, int] = (28, 28, 1)):
    """The (untrained) QKeras model for ``spec``."""
    tfk = tf_keras()
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    L = tfk.layers

    def wq():
        return quantized_bits(spec.weight_bits, 0, alpha=1)

    def act(name: str):
        return QActivation(quantized_relu(spec.act_bits, spec.act_integer), name=name)

    x = inp = L.Input(shape=input_shape, name="image")
    for i, ch in enumerate(spec.conv, start=1):
        x = QConv2D(ch, 3, padding="same", kernel_quantizer=wq(), bias_quantizer=wq(), name=f"conv{i}")(x)
        x = act(f"act{i}")(x)
        x = L.AveragePooling2D(2, name=f"pool{i}")(x)
    x = L.Flatten(name="flatten")(x)
    x = QDense(spec.hidden, kernel_quantizer=wq(), bias_quantizer=wq(), name="fc1")(x)
    x = act(f"act{len(spec.conv) + 1}")(x)
    x = QDense(spec.classes, kernel_quantizer=wq(), bias_quantizer=wq(), name="fc2")(x)
    return tfk.Model(inp, x, name="qkeras_cnn")


def to_input(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 1, H, W) or (N, H, W) -> float32 (N, H, W, 1) in [0, 1)."""
    x = np.asarray(images)
    if x.ndim == 4:
        x = x[:, 0]
    return (x.astype(np.float32) * np.float32(INPUT_SCALE))[..., None]


def trained(spec: QNetSpec, train_x: np.ndarray, train_y: np.ndarray, cache_dir: str | Path,
            verbose: int = 0) -> tuple[object, Path]:
    """Load the cached trained model for ``spec`` or train it (Adam, batch 128) and cache it as .h5."""
    tfk = tf_keras()
    from qkeras.utils import _add_supported_quantized_objects

    path = Path(cache_dir) / f"qkeras_cnn_{spec.key()}.h5"
    if path.is_file():
        objects: dict = {}
        _add_supported_quantized_objects(objects)
        return tfk.models.load_model(path, custom_objects=objects, compile=False), path
    import tensorflow as tf

    tf.keras.utils.set_random_seed(spec.seed)
    model = build(spec, input_shape=(*train_x.shape[-2:], 1))
    model.compile(optimizer=tfk.optimizers.Adam(2e-3),
                  loss=tfk.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    n = min(spec.train_images, len(train_x))
    model.fit(to_input(train_x[:n]), np.asarray(train_y[:n]), batch_size=128, epochs=spec.epochs,
              verbose=verbose, shuffle=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return model, path
